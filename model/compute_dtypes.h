// The dtype each module computes in on each kind of device: one table shared by the render path
// (rank/model_bundle) and the checks (`model verify --dtype production`, the golden device test),
// so what is verified is what renders.
//
// On the CPU everything is fp32. On a GPU it follows the public Wan reference: the DiT and the umT5
// encoder in bf16, the CLIP image tower in fp16, and the video VAE in fp32 -- the reference builds
// its VAE with dtype=float, and a bf16 decode is measurably off (docs/gpu.md: 8e-2 on the Wan2.1
// golden case, against 1e-6 in fp32).
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace motionfarm::model {

// `module` is a golden-case module name: "wan_dit", "umt5_encoder", "clip_vision", "wan_vae" or
// "wan22_vae". Throws ConfigError for another name.
at::ScalarType production_dtype(const std::string& module, at::Device device);

}  // namespace motionfarm::model
