// The pieces only the Wan2.2 VAE has (wan/modules/vae2_2.py): the 2x2 patchify around the conv
// stack, and the levels whose shortcut averages (encoder) or duplicates (decoder) values across
// the down/up-sampling instead of learning it. Neither shortcut has parameters.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/vae_blocks.h"

namespace motionfarm::model {

// [B, C, T, 2H, 2W] -> [B, 4C, T, H, W]; channel c*4 + column offset*2 + row offset.
at::Tensor patchify_2x2(const at::Tensor& x);
// The inverse of patchify_2x2.
at::Tensor unpatchify_2x2(const at::Tensor& x);

// AvgDown3D: mean over groups of (time x 2 x 2) positions and channels. An odd frame count gets
// zero frames in front first (the stream's first chunk, one frame, is averaged with a zero frame).
at::Tensor average_down(const at::Tensor& x, int64_t out_channels, int64_t factor_t,
                        int64_t factor_s);
// DupUp3D: repeats channels and spreads them over (time x 2 x 2) positions; on the stream's first
// chunk the first factor_t - 1 frames are dropped, matching the causal first frame.
at::Tensor duplicate_up(const at::Tensor& x, int64_t out_channels, int64_t factor_t,
                        int64_t factor_s, bool first_chunk);

// Down_ResidualBlock: num_res_blocks residual blocks then the downsampling, plus average_down of
// the input. Parameters under "downsamples.<j>.".
class DownResidualBlock : public VaeLayer {
 public:
  DownResidualBlock(int64_t in_dim, int64_t out_dim, int64_t blocks, bool temporal, bool down);
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const override;
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) override;

 private:
  int64_t out_dim_;
  int64_t factor_t_;
  int64_t factor_s_;
  std::vector<std::unique_ptr<VaeLayer>> layers_;
};

// Up_ResidualBlock: residual blocks then the upsampling, plus duplicate_up of the input when it
// upsamples. Parameters under "upsamples.<j>.".
class UpResidualBlock : public VaeLayer {
 public:
  UpResidualBlock(int64_t in_dim, int64_t out_dim, int64_t blocks, bool temporal, bool up);
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const override;
  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) override;

 private:
  int64_t out_dim_;
  int64_t factor_t_;
  bool up_;
  std::vector<std::unique_ptr<VaeLayer>> layers_;
};

}  // namespace motionfarm::model
