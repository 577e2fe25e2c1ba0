// The building blocks shared by both Wan VAE layouts: RMS norm, the residual block, the
// single-head spatial attention block and the up/down resampling block (wan/modules/vae.py:
// RMS_norm, ResidualBlock, AttentionBlock, Resample). Names passed to the parameter visitor are
// the reference's state_dict names below the block's prefix.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/vae_causal_conv.h"
#include "model/vae_parameters.h"

namespace motionfarm::model {

// One entry of an encoder/decoder stage. `first_chunk` is true while the stream's first chunk
// runs (the Wan2.2 duplicating shortcut drops a frame then). Layers are const while running: all
// per-stream state lives in the cache.
class VaeLayer {
 public:
  virtual ~VaeLayer() = default;
  virtual at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache,
                             bool first_chunk) const = 0;
  virtual void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) = 0;
};

// x / max(||x||_2 over channels, 1e-12) * sqrt(C) * gamma, as F.normalize in the reference.
// `images` picks the gamma shape the checkpoint stores ([C,1,1] for 2D use, [C,1,1,1] for 3D).
class RmsNorm {
 public:
  RmsNorm(int64_t channels, bool images);
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit);
  at::Tensor forward(const at::Tensor& x) const;  // [B, C, T, H, W]

 private:
  int64_t channels_;
  bool images_;
  at::Tensor gamma_;
};

// norm -> SiLU -> causal conv 3x3x3 -> norm -> SiLU -> causal conv 3x3x3, plus the input
// (through a 1x1x1 conv when the width changes). Uses two cache slots.
class ResidualBlock : public VaeLayer {
 public:
  ResidualBlock(int64_t in_dim, int64_t out_dim);
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const override;
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) override;

 private:
  RmsNorm norm1_;
  CausalConv3d conv1_;
  RmsNorm norm2_;
  CausalConv3d conv2_;
  std::optional<CausalConv3d> shortcut_;
};

// Single-head self-attention over the pixels of each frame separately (no cache). On a row band
// (the cache's row_split) the band's pixels attend to the whole frame's gathered keys/values.
class AttentionBlock : public VaeLayer {
 public:
  explicit AttentionBlock(int64_t dim);
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const override;
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) override;

 private:
  int64_t dim_;
  RmsNorm norm_;
  at::Tensor qkv_weight_;   // [3C, C, 1, 1]
  at::Tensor qkv_bias_;     // [3C]
  at::Tensor proj_weight_;  // [C, C, 1, 1]
  at::Tensor proj_bias_;    // [C]
};

enum class ResampleMode { kUpsample2d, kUpsample3d, kDownsample2d, kDownsample3d };

// 2x spatial up/down sampling, and for the 3D modes 2x temporal as well: upsampling doubles every
// frame but the stream's first through a causal (3,1,1) conv with 2x the channels; downsampling
// halves the frames after the first with a stride-2 (3,1,1) conv. `out_dim` is the width after an
// upsampling conv (dim / 2 in Wan2.1, dim in Wan2.2). The 3D modes use one cache slot.
class Resample : public VaeLayer {
 public:
  Resample(int64_t dim, ResampleMode mode, int64_t out_dim);
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const override;
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) override;

 private:
  at::Tensor upsample_time(const at::Tensor& x, VaeCacheSlot& slot) const;
  at::Tensor downsample_time(const at::Tensor& x, VaeCacheSlot& slot) const;

  ResampleMode mode_;
  FrameConv2d conv_;                       // "resample.1"
  std::optional<CausalConv3d> time_conv_;  // "time_conv" (3D modes)
};

// Nearest-neighbour 2x spatial upsampling of [B, C, T, H, W] ('nearest-exact' at scale 2).
at::Tensor upsample_nearest_2x(const at::Tensor& x);

}  // namespace motionfarm::model
