// Reference vectors in the golden format, and checking a module against them.
//
// A case is three files sharing a prefix: PREFIX.json (the module's name under "module" and its
// constructor arguments), PREFIX.safetensors (weights under the reference's names) and
// PREFIX.io.safetensors (inputs and expected outputs). `motionfarm model verify PREFIX` runs any
// case through the module it names; users check converted checkpoints against outputs they
// produced with the Python reference the same way.
#pragma once

#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/wan_dit.h"

namespace motionfarm::model {

struct ReferenceCase {
  std::string prefix;
  std::string module;  // "wan_dit", "wan_vae", "wan22_vae", "umt5_encoder", "clip_vision"
  YAML::Node config;   // the whole JSON object
  io::SafetensorsCheckpoint weights;
  io::SafetensorsCheckpoint tensors;  // inputs and expected outputs

  // Throws InputError naming the missing tensor and the file.
  at::Tensor tensor(const std::string& name) const;
  bool has(const std::string& name) const { return tensors.contains(name); }
};

// The agreement the golden README states for fp32: max |ours − ref| ≤ 1e-4 · max(1, max |ref|).
constexpr double kReferenceTolerance = 1e-4;

struct OutputComparison {
  std::string name;  // the expected tensor's name in PREFIX.io.safetensors
  double max_abs_error = 0;
  double reference_scale = 1;  // max(1, max |ref|)
  double tolerance = kReferenceTolerance;
  double relative_error() const { return max_abs_error / reference_scale; }
  bool passed() const { return relative_error() <= tolerance; }
};

// Throws InputError naming the file when one of the three is missing or malformed, and ConfigError
// when the JSON has no "module".
ReferenceCase load_reference_case(const std::string& prefix);

// Where a case runs. The golden README's setting is the CPU in fp32 (tolerance 1e-4); on a GPU the
// modules compute in reduced precision (model/compute_dtypes.h), where rounding alone (8
// significant bits for bf16, 11 for fp16) puts outputs ~1e-2 away, so each dtype has its own stated
// bar (docs/gpu.md has the measurements).
struct VerifyPlacement {
  at::Device device{at::kCPU};
  // nullopt: the module's production dtype on `device` (model/compute_dtypes.h).
  std::optional<at::ScalarType> dtype = at::kFloat;
  std::optional<double> tolerance;  // nullopt: the dtype's default_tolerance

  // "cpu", "cuda", "cuda:N" and "fp32", "bf16", "fp16" or "production". Throws ConfigError naming
  // the accepted values.
  static VerifyPlacement parse(const std::string& device, const std::string& dtype);
  // The dtype and bar a module runs with under this placement.
  at::ScalarType dtype_for(const std::string& module) const;
  double tolerance_for(const std::string& module) const;
  std::string describe(const std::string& module) const;  // "cuda bf16, tolerance 0.05"
};

// The stated bar per compute dtype: 1e-4 for fp32 (the golden README), 5e-2 for bf16, 1e-2 for
// fp16.
double default_tolerance(at::ScalarType dtype);

// Compares `ours` (on any device, any float dtype) to `reference` (shapes must match; ModelError
// otherwise).
OutputComparison compare_output(const std::string& name, const at::Tensor& ours,
                                const at::Tensor& reference,
                                double tolerance = kReferenceTolerance);

// Runs the case through the module it names, where `placement` says (the CPU in fp32 by default),
// and compares every output against the placement's tolerance. Throws ConfigError naming the known
// modules for an unknown one.
std::vector<OutputComparison> verify_reference_case(const ReferenceCase& reference_case,
                                                    const VerifyPlacement& placement = {});

// The modules verify_reference_case knows.
std::vector<std::string> reference_modules();

// Per-module runners (one file each, beside the module).
std::vector<OutputComparison> verify_wan_dit_case(const ReferenceCase& reference_case,
                                                  const VerifyPlacement& placement);
std::vector<OutputComparison> verify_wan_vae_case(const ReferenceCase& reference_case,
                                                  const VerifyPlacement& placement);
std::vector<OutputComparison> verify_umt5_encoder_case(const ReferenceCase& reference_case,
                                                       const VerifyPlacement& placement);
std::vector<OutputComparison> verify_clip_vision_case(const ReferenceCase& reference_case,
                                                      const VerifyPlacement& placement);
// The DiT case's model and inputs, for runners that split it across ranks.
WanDiT wan_dit_case_model(const ReferenceCase& reference_case,
                          const VerifyPlacement& placement = {});
DiTInputs wan_dit_case_inputs(const ReferenceCase& reference_case, at::Device device = at::kCPU);

}  // namespace motionfarm::model
