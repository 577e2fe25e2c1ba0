// Shared by the VAE tests: the golden cases of ../shared/golden (weights, config, inputs and the
// reference's outputs) and the reference's agreement check.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>

#include "io/safetensors_checkpoint.h"
#include "model/vae_config.h"
#include "model/vae_loader.h"
#include "model/wan_vae.h"
#include "tests/support/test_paths.h"

namespace motionfarm::model::vae_testing {

inline std::string golden_path(const std::string& file) {
  return motionfarm::testing::shared_dir() + "/golden/" + file;
}

// Every tensor of a golden weights file, by name (zero-copy views).
inline std::map<std::string, at::Tensor> golden_weights(const std::string& name) {
  const auto checkpoint = io::SafetensorsCheckpoint::open(golden_path(name + ".safetensors"));
  std::map<std::string, at::Tensor> out;
  for (const auto& info : checkpoint.tensors())
    out.emplace(info.name, checkpoint.tensor(info.name));
  return out;
}

inline at::Tensor golden_io(const std::string& name, const std::string& tensor) {
  return io::SafetensorsCheckpoint::open(golden_path(name + ".io.safetensors")).tensor(tensor);
}

// A VAE with the golden case's config, loaded from the golden weights file.
inline std::unique_ptr<WanVae> golden_vae(const std::string& name, VaeTiling tiling = {}) {
  VaeConfig config = load_vae_config(golden_path(name + ".json"));
  config.tiling = tiling;
  auto vae = std::make_unique<WanVae>(config);
  load_wan_vae_weights(*vae, io::SafetensorsCheckpoint::open(golden_path(name + ".safetensors")));
  return vae;
}

// max over elements of |ours - ref| - tolerance * max(1, |ref|); <= 0 means within tolerance.
inline double excess_error(const at::Tensor& ours, const at::Tensor& ref, double tolerance) {
  const at::Tensor a = ours.to(at::kDouble);
  const at::Tensor b = ref.to(at::kDouble);
  return ((a - b).abs() - tolerance * b.abs().clamp_min(1.0)).max().item<double>();
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace motionfarm::model::vae_testing
