#include "model/vae_streaming_decoder.h"

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {

VaeStreamingDecoder::VaeStreamingDecoder(const WanVae& vae) : vae_(&vae) {}

void VaeStreamingDecoder::reset() {
  latent_frames_ = 0;
  latent_shape_.clear();
  tiles_.clear();
  caches_.clear();
}

int64_t VaeStreamingDecoder::cache_bytes() const {
  int64_t total = 0;
  for (const auto& cache : caches_) total += cache.bytes();
  return total;
}

at::Tensor VaeStreamingDecoder::decode_next(const at::Tensor& latent_chunk) {
  const VaeConfig& config = vae_->config();
  MF_CHECK(
      latent_chunk.dim() == 5 && latent_chunk.size(1) == config.z_dim && latent_chunk.size(2) >= 1,
      InputError, "VAE decode takes latents [B, " << config.z_dim << ", T, h, w]");
  const std::vector<int64_t> shape{latent_chunk.size(0), latent_chunk.size(1), latent_chunk.size(3),
                                   latent_chunk.size(4)};
  if (latent_frames_ == 0) {
    latent_shape_ = shape;
    if (config.tiling.enabled) {
      tiles_ = plan_vae_tiles(shape[2], shape[3], config.tiling, config.spatial_factor(),
                              vae_->runtime().device);
      if (tiles_.size() == 1) tiles_.clear();  // fits in one tile: decode untiled
    }
    caches_.assign(tiles_.empty() ? 1 : tiles_.size(), VaeFeatureCache());
  } else {
    MF_CHECK(shape == latent_shape_, InputError,
             "a VAE stream's latent chunks must keep the batch and frame size of its first chunk");
  }
  std::vector<at::Tensor> frames;
  for (int64_t t = 0; t < latent_chunk.size(2); ++t) {
    frames.push_back(decode_frame(latent_chunk.narrow(2, t, 1)));
  }
  return frames.size() == 1 ? frames.front() : at::cat(frames, 2);
}

at::Tensor VaeStreamingDecoder::decode_frame(const at::Tensor& latent_frame) {
  const bool first = latent_frames_ == 0;
  ++latent_frames_;
  if (tiles_.empty()) return vae_->decode_latent_frame(latent_frame, caches_[0], first);

  // Weighted sum of the tiles' pixels, divided by the summed weights.
  const int64_t s = vae_->config().spatial_factor();
  at::Tensor sum;
  at::Tensor weight_sum;
  for (std::size_t i = 0; i < tiles_.size(); ++i) {
    const VaeTile& tile = tiles_[i];
    const at::Tensor part =
        vae_->decode_latent_frame(latent_frame.narrow(3, tile.row0, tile.row1 - tile.row0)
                                      .narrow(4, tile.col0, tile.col1 - tile.col0),
                                  caches_[i], first);  // [B, 3, F, rows*s, cols*s]
    if (!sum.defined()) {
      sum = at::zeros(
          {part.size(0), part.size(1), part.size(2), latent_shape_[2] * s, latent_shape_[3] * s},
          part.options());
      weight_sum = at::zeros({1, 1, 1, latent_shape_[2] * s, latent_shape_[3] * s}, part.options());
    }
    const int64_t rows = (tile.row1 - tile.row0) * s;
    const int64_t cols = (tile.col1 - tile.col0) * s;
    sum.narrow(3, tile.row0 * s, rows).narrow(4, tile.col0 * s, cols).add_(part * tile.weight);
    weight_sum.narrow(3, tile.row0 * s, rows).narrow(4, tile.col0 * s, cols).add_(tile.weight);
  }
  return sum / weight_sum;
}

}  // namespace motionfarm::model
