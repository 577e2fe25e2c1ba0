#include "model/reference_case.h"

#include <ATen/Context.h>

#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "core/check.h"
#include "model/compute_dtypes.h"

namespace motionfarm::model {

namespace {

using Runner =
    std::function<std::vector<OutputComparison>(const ReferenceCase&, const VerifyPlacement&)>;

// Every module a golden case can name, and the function that runs it.
const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> table = {
      {"wan_dit", &verify_wan_dit_case},         {"wan_vae", &verify_wan_vae_case},
      {"wan22_vae", &verify_wan_vae_case},       {"umt5_encoder", &verify_umt5_encoder_case},
      {"clip_vision", &verify_clip_vision_case},
  };
  return table;
}

}  // namespace

at::Tensor ReferenceCase::tensor(const std::string& name) const {
  MF_CHECK(tensors.contains(name), InputError,
           "'" << prefix << ".io.safetensors' has no tensor '" << name << "', which module '"
               << module << "' needs");
  return tensors.tensor(name).to(at::kFloat);
}

ReferenceCase load_reference_case(const std::string& prefix) {
  const std::string json = prefix + ".json";
  MF_CHECK(std::filesystem::is_regular_file(json), InputError,
           "no reference case at '" << prefix << "': '" << json
                                    << "' is missing (PREFIX names PREFIX.json, "
                                       "PREFIX.safetensors and PREFIX.io.safetensors)");
  YAML::Node config;
  try {
    config = YAML::LoadFile(json);
  } catch (const YAML::Exception& error) {
    throw InputError("'" + json + "' is not valid JSON: " + error.what());
  }
  MF_CHECK(config.IsMap() && config["module"], ConfigError,
           "'" << json << "' must be an object with a \"module\" key naming the module");
  ReferenceCase reference_case{prefix, config["module"].as<std::string>(), config,
                               io::SafetensorsCheckpoint::open(prefix + ".safetensors"),
                               io::SafetensorsCheckpoint::open(prefix + ".io.safetensors")};
  return reference_case;
}

OutputComparison compare_output(const std::string& name, const at::Tensor& ours,
                                const at::Tensor& reference, double tolerance) {
  MF_CHECK(ours.sizes() == reference.sizes(), ModelError,
           "output '" << name << "' has shape " << ours.sizes() << " but the reference has "
                      << reference.sizes());
  OutputComparison comparison;
  comparison.name = name;
  comparison.tolerance = tolerance;
  const at::Tensor expected = reference.to(at::kCPU, at::kDouble);
  const at::Tensor ours_cpu = ours.to(at::kCPU, at::kDouble);
  comparison.reference_scale = std::max(1.0, expected.abs().max().item<double>());
  comparison.max_abs_error = (ours_cpu - expected).abs().max().item<double>();
  // A NaN anywhere must fail, and max() of a tensor with NaN is NaN: make that explicit.
  if (!ours_cpu.isfinite().all().item<bool>()) {
    comparison.max_abs_error = std::numeric_limits<double>::infinity();
  }
  return comparison;
}

std::vector<std::string> reference_modules() {
  std::vector<std::string> names;
  for (const auto& [name, runner] : runners()) names.push_back(name);
  return names;
}

std::vector<OutputComparison> verify_reference_case(const ReferenceCase& reference_case,
                                                    const VerifyPlacement& placement) {
  const auto found = runners().find(reference_case.module);
  if (found == runners().end()) {
    std::string known;
    for (const std::string& name : reference_modules()) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError("'" + reference_case.prefix + ".json' names module '" +
                      reference_case.module + "', which motionfarm does not know (known: " + known +
                      ")");
  }
  // The runners see a resolved placement: the module's dtype, never "production".
  VerifyPlacement resolved = placement;
  resolved.dtype = placement.dtype_for(reference_case.module);
  resolved.tolerance = placement.tolerance_for(reference_case.module);
  if (resolved.device.is_cuda() && *resolved.dtype == at::kFloat) {
    // fp32 must mean fp32: cuBLAS and cuDNN may otherwise use TF32 (10-bit mantissas).
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
  }
  std::vector<OutputComparison> comparisons = found->second(reference_case, resolved);
  for (OutputComparison& comparison : comparisons) comparison.tolerance = *resolved.tolerance;
  return comparisons;
}

double default_tolerance(at::ScalarType dtype) {
  switch (dtype) {
    case at::kBFloat16:
      return 5e-2;
    case at::kHalf:
      return 1e-2;
    default:
      return kReferenceTolerance;
  }
}

VerifyPlacement VerifyPlacement::parse(const std::string& device, const std::string& dtype) {
  VerifyPlacement placement;
  try {
    placement.device = at::Device(device);
  } catch (const std::exception&) {
    throw ConfigError("unknown device '" + device + "': use cpu, cuda or cuda:N");
  }
  MF_CHECK(placement.device.is_cpu() || placement.device.is_cuda(), ConfigError,
           "unknown device '" << device << "': use cpu, cuda or cuda:N");
  if (dtype == "production") {
    placement.dtype = std::nullopt;
    return placement;
  }
  static const std::map<std::string, at::ScalarType> dtypes = {
      {"fp32", at::kFloat},        {"float32", at::kFloat}, {"bf16", at::kBFloat16},
      {"bfloat16", at::kBFloat16}, {"fp16", at::kHalf},     {"float16", at::kHalf}};
  const auto found = dtypes.find(dtype);
  MF_CHECK(found != dtypes.end(), ConfigError,
           "unknown dtype '" << dtype << "': use fp32, bf16, fp16 or production");
  placement.dtype = found->second;
  return placement;
}

at::ScalarType VerifyPlacement::dtype_for(const std::string& module) const {
  return dtype ? *dtype : production_dtype(module, device);
}

double VerifyPlacement::tolerance_for(const std::string& module) const {
  return tolerance ? *tolerance : default_tolerance(dtype_for(module));
}

std::string VerifyPlacement::describe(const std::string& module) const {
  std::ostringstream text;
  text << device << " " << c10::toString(dtype_for(module)) << ", tolerance "
       << tolerance_for(module);
  return text.str();
}

}  // namespace motionfarm::model
