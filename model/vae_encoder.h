// The Wan VAE encoder (Encoder3d of wan/modules/vae.py and vae2_2.py): causal conv stem,
// residual levels with spatial (and, where configured, temporal) downsampling, a middle with
// attention, and a head to 2 * z_dim channels (mean and log-variance).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/vae_blocks.h"
#include "model/vae_causal_conv.h"
#include "model/vae_config.h"
#include "model/vae_parameters.h"

namespace motionfarm::model {

class VaeEncoder {
 public:
  explicit VaeEncoder(const VaeConfig& config);

  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit);

  // One chunk of frames (the first chunk one frame, later chunks temporal_factor() frames),
  // [B, image_channels, T, H, W] -> [B, 2*z_dim, T', H/s, W/s], carrying `cache` between chunks.
  at::Tensor forward(const at::Tensor& x, VaeFeatureCache& cache, bool first_chunk) const;

 private:
  CausalConv3d conv1_;
  std::vector<std::unique_ptr<VaeLayer>> downsamples_;
  std::vector<std::unique_ptr<VaeLayer>> middle_;
  RmsNorm head_norm_;
  CausalConv3d head_conv_;
};

}  // namespace motionfarm::model
