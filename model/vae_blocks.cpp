#include "model/vae_blocks.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.h"
#include "core/error.h"
#include "model/vae_row_split.h"

namespace motionfarm::model {
namespace {

// Queries per attention block: bounds the [queries, keys] score matrix of a large frame (a 720p
// frame has 14,400 pixels at the VAE's middle resolution). Softmax is per row, so splitting the
// queries does not change the result.
constexpr int64_t kAttentionQueryBlock = 4096;

}  // namespace

at::Tensor upsample_nearest_2x(const at::Tensor& x) {
  const auto s = x.sizes();  // [B, C, T, H, W]
  return x.unsqueeze(4)
      .unsqueeze(6)
      .expand({s[0], s[1], s[2], s[3], 2, s[4], 2})
      .reshape({s[0], s[1], s[2], 2 * s[3], 2 * s[4]});
}

RmsNorm::RmsNorm(int64_t channels, bool images) : channels_(channels), images_(images) {}

void RmsNorm::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  if (images_) {
    visit(prefix + "gamma", {channels_, 1, 1}, gamma_);
  } else {
    visit(prefix + "gamma", {channels_, 1, 1, 1}, gamma_);
  }
}

at::Tensor RmsNorm::forward(const at::Tensor& x) const {
  const at::Tensor denom = at::norm(x, 2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  const double scale = std::sqrt(static_cast<double>(channels_));
  return (x / denom) * scale * gamma_.reshape({channels_, 1, 1, 1});
}

ResidualBlock::ResidualBlock(int64_t in_dim, int64_t out_dim)
    : norm1_(in_dim, /*images=*/false),
      conv1_(in_dim, out_dim, kVaeKernel3, kVaePad1),
      norm2_(out_dim, /*images=*/false),
      conv2_(out_dim, out_dim, kVaeKernel3, kVaePad1) {
  if (in_dim != out_dim)
    shortcut_.emplace(in_dim, out_dim, std::array<int64_t, 3>{1, 1, 1},
                      std::array<int64_t, 3>{0, 0, 0});
}

void ResidualBlock::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  // Indices of the reference's nn.Sequential: norm, SiLU, conv, norm, SiLU, Dropout, conv.
  norm1_.visit_parameters(prefix + "residual.0.", visit);
  conv1_.visit_parameters(prefix + "residual.2.", visit);
  norm2_.visit_parameters(prefix + "residual.3.", visit);
  conv2_.visit_parameters(prefix + "residual.6.", visit);
  if (shortcut_) shortcut_->visit_parameters(prefix + "shortcut.", visit);
}

at::Tensor ResidualBlock::forward(const at::Tensor& x, VaeFeatureCache& cache, bool) const {
  const at::Tensor h = shortcut_ ? shortcut_->forward(x) : x;
  at::Tensor y =
      conv1_.forward_cached(at::silu(norm1_.forward(x)), cache.next_slot(), cache.row_split());
  y = conv2_.forward_cached(at::silu(norm2_.forward(y)), cache.next_slot(), cache.row_split());
  return y + h;
}

AttentionBlock::AttentionBlock(int64_t dim) : dim_(dim), norm_(dim, /*images=*/true) {}

void AttentionBlock::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  norm_.visit_parameters(prefix + "norm.", visit);
  visit(prefix + "to_qkv.weight", {3 * dim_, dim_, 1, 1}, qkv_weight_);
  visit(prefix + "to_qkv.bias", {3 * dim_}, qkv_bias_);
  visit(prefix + "proj.weight", {dim_, dim_, 1, 1}, proj_weight_);
  visit(prefix + "proj.bias", {dim_}, proj_bias_);
}

at::Tensor AttentionBlock::forward(const at::Tensor& x, VaeFeatureCache& cache, bool) const {
  const auto s = x.sizes();  // [B, C, T, H, W]
  const int64_t b = s[0], c = s[1], t = s[2], h = s[3], w = s[4];
  // One sequence per frame: [B*T, H*W, C].
  const at::Tensor tokens = norm_.forward(x).permute({0, 2, 3, 4, 1}).reshape({b * t, h * w, c});
  at::Tensor qkv = at::linear(tokens, qkv_weight_.reshape({3 * c, c}), qkv_bias_);
  // Scores and softmax in at least fp32 whatever the compute dtype.
  const auto work = qkv.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor keys_values = qkv.narrow(2, c, 2 * c);  // [B*T, HW, 2C]
  if (VaeRowSplit* split = cache.row_split()) {
    // On a band the queries are this band's pixels and the keys/values the whole frame's, in the
    // frame's order: the band's rows of the whole-frame attention.
    keys_values = split->gather_rows(keys_values.reshape({b * t, h, w, 2 * c}), 1)
                      .reshape({b * t, -1, 2 * c});
  }
  qkv = qkv.to(work);
  keys_values = keys_values.to(work);
  const at::Tensor q = qkv.narrow(2, 0, c);
  const at::Tensor k_t = keys_values.narrow(2, 0, c).transpose(1, 2);  // [B*T, C, HW]
  const at::Tensor v = keys_values.narrow(2, c, c);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c));
  const int64_t queries = h * w;
  std::vector<at::Tensor> blocks;
  for (int64_t start = 0; start < queries; start += kAttentionQueryBlock) {
    const int64_t len = std::min(kAttentionQueryBlock, queries - start);
    const at::Tensor scores = at::matmul(q.narrow(1, start, len), k_t) * scale;
    blocks.push_back(at::matmul(at::softmax(scores, -1), v));
  }
  at::Tensor out = blocks.size() == 1 ? blocks.front() : at::cat(blocks, 1);
  out = at::linear(out.to(x.scalar_type()), proj_weight_.reshape({c, c}), proj_bias_);
  return out.reshape({b, t, h, w, c}).permute({0, 4, 1, 2, 3}) + x;
}

Resample::Resample(int64_t dim, ResampleMode mode, int64_t out_dim)
    : mode_(mode),
      conv_(
          dim,
          (mode == ResampleMode::kUpsample2d || mode == ResampleMode::kUpsample3d) ? out_dim : dim,
          3, (mode == ResampleMode::kUpsample2d || mode == ResampleMode::kUpsample3d) ? 1 : 0,
          (mode == ResampleMode::kUpsample2d || mode == ResampleMode::kUpsample3d) ? 1 : 2) {
  if (mode == ResampleMode::kUpsample3d) {
    time_conv_.emplace(dim, 2 * dim, std::array<int64_t, 3>{3, 1, 1},
                       std::array<int64_t, 3>{1, 0, 0});
  } else if (mode == ResampleMode::kDownsample3d) {
    time_conv_.emplace(dim, dim, std::array<int64_t, 3>{3, 1, 1}, std::array<int64_t, 3>{0, 0, 0},
                       std::array<int64_t, 3>{2, 1, 1});
  }
}

void Resample::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  // "resample.1": the conv follows the Upsample / ZeroPad2d at index 0 of the nn.Sequential.
  conv_.visit_parameters(prefix + "resample.1.", visit);
  if (time_conv_) time_conv_->visit_parameters(prefix + "time_conv.", visit);
}

at::Tensor Resample::upsample_time(const at::Tensor& x, VaeCacheSlot& slot) const {
  // The stream's first chunk stays one frame per latent frame (the causal first frame).
  if (slot.state == VaeCacheSlot::State::kEmpty) {
    slot.state = VaeCacheSlot::State::kSkipFirst;
    return x;
  }
  const int64_t frames = x.size(2);
  const int64_t keep = std::min<int64_t>(frames, 2);
  at::Tensor next = x.narrow(2, frames - keep, keep).clone();
  if (keep < 2) {
    // Top up to two frames: the previous chunk's last frame, or zero after the skipped first
    // chunk (whose frame the time conv never saw).
    const at::Tensor before = slot.state == VaeCacheSlot::State::kFrames
                                  ? slot.frames.narrow(2, slot.frames.size(2) - 1, 1)
                                  : at::zeros_like(next);
    next = at::cat({before.to(x.device()), next}, 2);
  }
  const at::Tensor y = slot.state == VaeCacheSlot::State::kFrames
                           ? time_conv_->forward(x, slot.frames)
                           : time_conv_->forward(x);
  slot.frames = next;
  slot.state = VaeCacheSlot::State::kFrames;
  // [B, 2C, T, H, W] -> [B, C, 2T, H, W]: the two channel halves become frames 2t and 2t+1.
  const auto s = x.sizes();
  return y.reshape({s[0], 2, s[1], s[2], s[3], s[4]})
      .permute({0, 2, 3, 1, 4, 5})
      .reshape({s[0], s[1], 2 * s[2], s[3], s[4]});
}

at::Tensor Resample::downsample_time(const at::Tensor& x, VaeCacheSlot& slot) const {
  // The first chunk (one frame) passes through; later chunks are convolved with the previous
  // chunk's last frame in front, stride 2.
  if (slot.state == VaeCacheSlot::State::kEmpty) {
    slot.frames = x.clone();
    slot.state = VaeCacheSlot::State::kFrames;
    return x;
  }
  at::Tensor next = x.narrow(2, x.size(2) - 1, 1).clone();
  const at::Tensor y = time_conv_->forward(
      at::cat({slot.frames.narrow(2, slot.frames.size(2) - 1, 1).to(x.device()), x}, 2));
  slot.frames = next;
  return y;
}

at::Tensor Resample::forward(const at::Tensor& x, VaeFeatureCache& cache, bool) const {
  // Only the decoder runs on row bands; the downsampling's one-sided padding has no halo form.
  MF_CHECK(cache.row_split() == nullptr || mode_ == ResampleMode::kUpsample2d ||
               mode_ == ResampleMode::kUpsample3d,
           ModelError, "VAE downsampling cannot run on row bands");
  switch (mode_) {
    // Nearest upsampling of a band is the band of the upsampled frame: rows i -> 2i, 2i + 1.
    case ResampleMode::kUpsample3d:
      return conv_.forward(upsample_nearest_2x(upsample_time(x, cache.next_slot())),
                           cache.row_split());
    case ResampleMode::kUpsample2d:
      return conv_.forward(upsample_nearest_2x(x), cache.row_split());
    case ResampleMode::kDownsample3d:
      // ZeroPad2d((0, 1, 0, 1)): one zero column on the right, one zero row at the bottom.
      return downsample_time(conv_.forward(at::constant_pad_nd(x, {0, 1, 0, 1})),
                             cache.next_slot());
    case ResampleMode::kDownsample2d:
      return conv_.forward(at::constant_pad_nd(x, {0, 1, 0, 1}));
  }
  throw ModelError("unknown VAE resample mode");
}

}  // namespace motionfarm::model
