#include "model/vae_wan22_blocks.h"

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {

at::Tensor patchify_2x2(const at::Tensor& x) {
  const auto s = x.sizes();  // [B, C, T, 2H, 2W]
  MF_CHECK(s[3] % 2 == 0 && s[4] % 2 == 0, InputError,
           "frames must have an even height and width for the 2x2 patchify (got " << s[3] << "x"
                                                                                  << s[4] << ")");
  const int64_t h = s[3] / 2, w = s[4] / 2;
  // (b, c, t, h, q, w, r) -> (b, c, r, q, t, h, w): q is the row offset, r the column offset.
  return x.reshape({s[0], s[1], s[2], h, 2, w, 2})
      .permute({0, 1, 6, 4, 2, 3, 5})
      .reshape({s[0], s[1] * 4, s[2], h, w});
}

at::Tensor unpatchify_2x2(const at::Tensor& x) {
  const auto s = x.sizes();  // [B, 4C, T, H, W]
  const int64_t c = s[1] / 4;
  // (b, c, r, q, t, h, w) -> (b, c, t, h, q, w, r)
  return x.reshape({s[0], c, 2, 2, s[2], s[3], s[4]})
      .permute({0, 1, 4, 5, 3, 6, 2})
      .reshape({s[0], c, s[2], 2 * s[3], 2 * s[4]});
}

at::Tensor average_down(const at::Tensor& x, int64_t out_channels, int64_t factor_t,
                        int64_t factor_s) {
  const int64_t pad_t = (factor_t - x.size(2) % factor_t) % factor_t;
  const at::Tensor padded = pad_t > 0 ? at::constant_pad_nd(x, {0, 0, 0, 0, pad_t, 0}) : x;
  const auto s = padded.sizes();  // [B, C, T, H, W]
  const int64_t b = s[0], c = s[1];
  const int64_t t = s[2] / factor_t, h = s[3] / factor_s, w = s[4] / factor_s;
  const int64_t factor = factor_t * factor_s * factor_s;
  const int64_t group = c * factor / out_channels;
  // Channel c*factor + (it, ih, iw) after the rearrangement; consecutive groups are averaged.
  return padded.reshape({b, c, t, factor_t, h, factor_s, w, factor_s})
      .permute({0, 1, 3, 5, 7, 2, 4, 6})
      .reshape({b, out_channels, group, t, h, w})
      .mean(2);
}

at::Tensor duplicate_up(const at::Tensor& x, int64_t out_channels, int64_t factor_t,
                        int64_t factor_s, bool first_chunk) {
  const auto s = x.sizes();  // [B, C, T, H, W]
  const int64_t factor = factor_t * factor_s * factor_s;
  const int64_t repeats = out_channels * factor / s[1];
  at::Tensor y =
      x.repeat_interleave(repeats, 1)
          .reshape({s[0], out_channels, factor_t, factor_s, factor_s, s[2], s[3], s[4]})
          .permute({0, 1, 5, 2, 6, 3, 7, 4})
          .reshape({s[0], out_channels, s[2] * factor_t, s[3] * factor_s, s[4] * factor_s});
  if (first_chunk && factor_t > 1) y = y.narrow(2, factor_t - 1, y.size(2) - (factor_t - 1));
  return y;
}

DownResidualBlock::DownResidualBlock(int64_t in_dim, int64_t out_dim, int64_t blocks, bool temporal,
                                     bool down)
    : out_dim_(out_dim), factor_t_(temporal ? 2 : 1), factor_s_(down ? 2 : 1) {
  for (int64_t i = 0; i < blocks; ++i) {
    layers_.push_back(std::make_unique<ResidualBlock>(i == 0 ? in_dim : out_dim, out_dim));
  }
  if (down) {
    layers_.push_back(std::make_unique<Resample>(
        out_dim, temporal ? ResampleMode::kDownsample3d : ResampleMode::kDownsample2d, out_dim));
  }
}

void DownResidualBlock::visit_parameters(const std::string& prefix,
                                         const VaeParameterVisitor& visit) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->visit_parameters(prefix + "downsamples." + std::to_string(i) + ".", visit);
  }
}

at::Tensor DownResidualBlock::forward(const at::Tensor& x, VaeFeatureCache& cache,
                                      bool first_chunk) const {
  at::Tensor y = x;
  for (const auto& layer : layers_) y = layer->forward(y, cache, first_chunk);
  return y + average_down(x, out_dim_, factor_t_, factor_s_);
}

UpResidualBlock::UpResidualBlock(int64_t in_dim, int64_t out_dim, int64_t blocks, bool temporal,
                                 bool up)
    : out_dim_(out_dim), factor_t_(temporal ? 2 : 1), up_(up) {
  for (int64_t i = 0; i < blocks; ++i) {
    layers_.push_back(std::make_unique<ResidualBlock>(i == 0 ? in_dim : out_dim, out_dim));
  }
  if (up) {
    layers_.push_back(std::make_unique<Resample>(
        out_dim, temporal ? ResampleMode::kUpsample3d : ResampleMode::kUpsample2d, out_dim));
  }
}

void UpResidualBlock::visit_parameters(const std::string& prefix,
                                       const VaeParameterVisitor& visit) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->visit_parameters(prefix + "upsamples." + std::to_string(i) + ".", visit);
  }
}

at::Tensor UpResidualBlock::forward(const at::Tensor& x, VaeFeatureCache& cache,
                                    bool first_chunk) const {
  at::Tensor y = x;
  for (const auto& layer : layers_) y = layer->forward(y, cache, first_chunk);
  if (!up_) return y;
  return y + duplicate_up(x, out_dim_, factor_t_, 2, first_chunk);
}

}  // namespace motionfarm::model
