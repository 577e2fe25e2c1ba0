// The Wan video VAE (Wan2.1 `WanVAE` / Wan2.2 `Wan2_2_VAE` with their `WanVAE_` models): frames in
// [-1, 1] <-> latents normalised with the published per-channel mean/std.
//
// Encode runs the clip in chunks of 1, 4, 4, ... frames and decode one latent frame at a time,
// each carrying the causal feature cache, exactly as the reference does: memory is that of one
// chunk whatever the clip length. decode() is VaeStreamingDecoder over the whole latent, so a clip
// decoded in pieces (segment by segment) equals the clip decoded at once.
//
// The weights are loaded after construction (load_wan_vae_weights in vae_loader.h); the object is
// then immutable and may serve several streams at once. Latents go in and come out in float32;
// the network runs in the dtype/device given at construction (fp32 on CPU, bf16 on CUDA).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/parameter_specs.h"
#include "model/vae_causal_conv.h"
#include "model/vae_config.h"
#include "model/vae_parameters.h"

namespace motionfarm::model {

class VaeDecoder;
class VaeEncoder;

struct VaeRuntime {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;  // compute and weight dtype
};

class WanVae {
 public:
  // Builds the module tree for `config` (validated) without allocating weights.
  explicit WanVae(VaeConfig config, VaeRuntime runtime = {});
  ~WanVae();
  WanVae(WanVae&&) noexcept;
  WanVae& operator=(WanVae&&) noexcept;

  const VaeConfig& config() const { return config_; }
  const VaeRuntime& runtime() const { return runtime_; }

  // Every parameter with its native Wan name (the reference state_dict: "encoder.conv1.weight",
  // "decoder.upsamples.0.residual.0.gamma", "conv1.weight", ...), its shape and its slot.
  void visit_parameters(const VaeParameterVisitor& visit);
  // True once every parameter slot holds a tensor.
  bool loaded() const { return loaded_; }
  void mark_loaded() { loaded_ = true; }

  // video [B, 3, T, H, W] in [-1, 1], T = 1 + 4n, H and W multiples of spatial_factor()
  // -> normalised latent mean [B, z_dim, 1 + n, H/s, W/s] (float32). The log-variance is dropped,
  // as the pipelines use the mean.
  at::Tensor encode(const at::Tensor& video) const;
  // Normalised latents [B, z_dim, T, h, w] -> frames [B, 3, 1 + 4(T-1), h*s, w*s] clamped to
  // [-1, 1] (float32), spatially tiled when config().tiling.enabled.
  at::Tensor decode(const at::Tensor& latents) const;

  // The streaming step behind decode(): one normalised latent frame [B, z_dim, 1, h, w] -> its
  // frames [B, 3, F, h*s, w*s] clamped to [-1, 1] (float32), F = 1 for the stream's first latent
  // frame and 4 after. `cache` holds the stream; `first` is true for its first latent frame.
  at::Tensor decode_latent_frame(const at::Tensor& latent_frame, VaeFeatureCache& cache,
                                 bool first) const;

 private:
  void check_loaded() const;

  VaeConfig config_;
  VaeRuntime runtime_;
  std::unique_ptr<VaeEncoder> encoder_;
  std::unique_ptr<VaeDecoder> decoder_;
  std::unique_ptr<CausalConv3d> quant_conv_;       // "conv1": 2*z -> 2*z, 1x1x1
  std::unique_ptr<CausalConv3d> post_quant_conv_;  // "conv2": z -> z, 1x1x1
  at::Tensor mean_;                                // [1, z, 1, 1, 1] float32
  at::Tensor inv_std_;  // [1, z, 1, 1, 1] float32, 1 / std as the reference's `scale[1]`
  bool loaded_ = false;
};

// The native names and shapes of every tensor of a VAE with `config`, in visiting order, without
// allocating anything.
std::vector<ParameterSpec> wan_vae_parameter_specs(const VaeConfig& config);

}  // namespace motionfarm::model
