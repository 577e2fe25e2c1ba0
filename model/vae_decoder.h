// The Wan VAE decoder (Decoder3d of wan/modules/vae.py and vae2_2.py): causal conv stem from the
// latent, a middle with attention, residual levels with spatial (and, where configured, temporal)
// upsampling, and a head to the frame channels (3 RGB, or 12 for Wan2.2's 2x2 patches).
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

class VaeDecoder {
 public:
  explicit VaeDecoder(const VaeConfig& config);

  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit);

  // One latent frame [B, z_dim, 1, h, w] -> its frames [B, image_channels, F, h*s, w*s], F = 1
  // for the stream's first latent frame and temporal_factor() after, carrying `cache`.
  at::Tensor forward(const at::Tensor& z, VaeFeatureCache& cache, bool first_chunk) const;

 private:
  CausalConv3d conv1_;
  std::vector<std::unique_ptr<VaeLayer>> middle_;
  std::vector<std::unique_ptr<VaeLayer>> upsamples_;
  RmsNorm head_norm_;
  CausalConv3d head_conv_;
};

}  // namespace motionfarm::model
