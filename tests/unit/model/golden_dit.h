// Test helpers for the DiT golden cases in ../shared/golden (see its README.md): config, weights,
// inputs and expected output of one case, and the README's agreement check.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "io/safetensors_checkpoint.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"
#include "tests/support/test_paths.h"

namespace motionfarm::model::testing {

inline std::string golden_path(const std::string& file) {
  return motionfarm::testing::shared_dir() + "/golden/" + file;
}

inline WanDiTConfig golden_config(const std::string& name) {
  return load_wan_dit_config_file(golden_path(name + ".json"));
}

inline io::SafetensorsCheckpoint golden_weights(const std::string& name) {
  return io::SafetensorsCheckpoint::open(golden_path(name + ".safetensors"));
}

// The case's unbatched reference inputs as a batch of one; `t` keeps its stored shape.
inline DiTInputs golden_inputs(const std::string& name) {
  const auto io = io::SafetensorsCheckpoint::open(golden_path(name + ".io.safetensors"));
  DiTInputs inputs;
  inputs.x = io.tensor("x").unsqueeze(0);
  inputs.t = io.tensor("t");
  inputs.context = io.tensor("context").unsqueeze(0);
  return inputs;
}

inline at::Tensor golden_output(const std::string& name) {
  return io::SafetensorsCheckpoint::open(golden_path(name + ".io.safetensors"))
      .tensor("out")
      .unsqueeze(0);
}

// The README's bar: max |ours - ref| <= tolerance * max(1, |ref|), element by element.
inline void expect_matches_reference(const at::Tensor& ours, const at::Tensor& reference,
                                     double tolerance = 1e-4) {
  ASSERT_EQ(ours.sizes(), reference.sizes());
  const at::Tensor ours64 = ours.to(at::kDouble);
  const at::Tensor ref64 = reference.to(at::kDouble);
  const at::Tensor excess = (ours64 - ref64).abs() - tolerance * ref64.abs().clamp_min(1.0);
  const double worst = excess.max().item<double>();
  const double max_diff = (ours64 - ref64).abs().max().item<double>();
  EXPECT_LE(worst, 0.0) << "max |ours - reference| = " << max_diff << ", over the bar by " << worst;
}

}  // namespace motionfarm::model::testing
