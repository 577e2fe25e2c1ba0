// Decodes a latent clip piece by piece with the same result as decoding it whole.
//
// Holds the causal feature cache of one stream between calls (one cache per spatial tile when
// tiling is on), so a long clip can be decoded segment by segment, across segment boundaries, and
// memory stays that of one latent frame: the cache keeps at most two frames per cached layer.
// Borrows the WanVae, which must outlive the stream; one stream per clip, not thread-safe.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "model/vae_causal_conv.h"
#include "model/vae_tiling.h"
#include "model/wan_vae.h"

namespace motionfarm::model {

class VaeStreamingDecoder {
 public:
  explicit VaeStreamingDecoder(const WanVae& vae);

  // The next latent frames of the clip, normalised [B, z_dim, T, h, w] (T >= 1; h, w and B the
  // same on every call) -> their frames [B, 3, F, h*s, w*s] clamped to [-1, 1], float32, where
  // F = 1 + 4(T-1) on the first call and 4T after.
  at::Tensor decode_next(const at::Tensor& latent_chunk);

  int64_t latent_frames_decoded() const { return latent_frames_; }
  // Bytes held by the causal caches between calls.
  int64_t cache_bytes() const;
  // Starts a new clip.
  void reset();

 private:
  at::Tensor decode_frame(const at::Tensor& latent_frame);

  const WanVae* vae_;
  int64_t latent_frames_ = 0;
  std::vector<int64_t> latent_shape_;  // [B, z, h, w] of the stream, fixed by the first call
  std::vector<VaeTile> tiles_;         // empty when untiled
  std::vector<VaeFeatureCache> caches_;
};

}  // namespace motionfarm::model
