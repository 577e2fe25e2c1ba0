#include "model/vae_causal_conv.h"

#include <algorithm>
#include <vector>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {
namespace {

// The reference keeps CACHE_T = 2 frames: enough for a kernel of 3 frames.
constexpr int64_t kCachedFrames = 2;

}  // namespace

VaeCacheSlot& VaeFeatureCache::next_slot() {
  if (cursor_ == slots_.size()) slots_.emplace_back();
  return slots_[cursor_++];
}

void VaeFeatureCache::clear() {
  slots_.clear();
  cursor_ = 0;
}

int64_t VaeFeatureCache::bytes() const {
  int64_t total = 0;
  for (const auto& slot : slots_) {
    if (slot.frames.defined()) total += slot.frames.numel() * slot.frames.element_size();
  }
  return total;
}

CausalConv3d::CausalConv3d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 3> kernel,
                           std::array<int64_t, 3> padding, std::array<int64_t, 3> stride)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      padding_(padding),
      stride_(stride) {}

void CausalConv3d::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  visit(prefix + "weight", {out_channels_, in_channels_, kernel_[0], kernel_[1], kernel_[2]},
        weight_);
  visit(prefix + "bias", {out_channels_}, bias_);
}

at::Tensor CausalConv3d::forward(const at::Tensor& x, const at::Tensor& past) const {
  return convolve(x, past, padding_[1]);
}

at::Tensor CausalConv3d::convolve(const at::Tensor& x, const at::Tensor& past,
                                  int64_t row_padding) const {
  MF_CHECK(weight_.defined(), ModelError, "VAE convolution used before its weights were loaded");
  at::Tensor input = x;
  const int64_t front = 2 * padding_[0];
  if (front > 0) {
    const int64_t past_frames = past.defined() ? past.size(2) : 0;
    MF_CHECK_LE(past_frames, front, ModelError, "more cached frames than the causal padding");
    std::vector<at::Tensor> parts;
    if (past_frames < front) {
      parts.push_back(at::zeros({x.size(0), x.size(1), front - past_frames, x.size(3), x.size(4)},
                                x.options()));
    }
    if (past_frames > 0) parts.push_back(past.to(x.device()));
    parts.push_back(x);
    input = at::cat(parts, 2);
  }
  // Spatial padding is symmetric, so the convolution's own padding does it without a copy.
  return at::conv3d(input, weight_, bias_, {stride_[0], stride_[1], stride_[2]},
                    {0, row_padding, padding_[2]});
}

at::Tensor CausalConv3d::forward_cached(const at::Tensor& band, VaeCacheSlot& slot,
                                        VaeRowSplit* split) const {
  // On a band the halo rows stand in for the row padding; they are cached with the frames, as
  // the next chunk's convolution reads the same neighbours' rows of those frames.
  const bool halo = split != nullptr && padding_[1] > 0;
  if (halo) {
    MF_CHECK_EQ(stride_[1], 1, ModelError, "a strided VAE convolution cannot run on row bands");
  }
  const at::Tensor x = halo ? split->with_row_halo(band, padding_[1]) : band;
  // What the next chunk needs: the last two frames of this input, topped up with the previous
  // chunk's last frame when this chunk has only one. Cloned so the cache does not pin `x`.
  const int64_t frames = x.size(2);
  const int64_t keep = std::min(frames, kCachedFrames);
  at::Tensor next = x.narrow(2, frames - keep, keep).clone();
  const bool has_past = slot.state == VaeCacheSlot::State::kFrames;
  if (keep < kCachedFrames && has_past) {
    next = at::cat({slot.frames.narrow(2, slot.frames.size(2) - 1, 1).to(x.device()), next}, 2);
  }
  at::Tensor out = convolve(x, has_past ? slot.frames : at::Tensor(), halo ? 0 : padding_[1]);
  slot.frames = next;
  slot.state = VaeCacheSlot::State::kFrames;
  return out;
}

FrameConv2d::FrameConv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t padding,
                         int64_t stride)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      padding_(padding),
      stride_(stride) {}

void FrameConv2d::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  visit(prefix + "weight", {out_channels_, in_channels_, kernel_, kernel_}, weight_);
  visit(prefix + "bias", {out_channels_}, bias_);
}

at::Tensor FrameConv2d::forward(const at::Tensor& x, VaeRowSplit* split) const {
  MF_CHECK(weight_.defined(), ModelError, "VAE convolution used before its weights were loaded");
  if (split != nullptr && padding_ > 0) {
    MF_CHECK_EQ(stride_, 1, ModelError, "a strided VAE convolution cannot run on row bands");
    return at::conv3d(split->with_row_halo(x, padding_), weight_.unsqueeze(2), bias_, {1, 1, 1},
                      {0, 0, padding_});
  }
  // A (1, k, k) 3D convolution is the per-frame 2D convolution without folding T into the batch.
  return at::conv3d(x, weight_.unsqueeze(2), bias_, {1, stride_, stride_}, {0, padding_, padding_});
}

}  // namespace motionfarm::model
