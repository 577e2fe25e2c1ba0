#include "model/compute_dtypes.h"

#include "core/error.h"

namespace motionfarm::model {

at::ScalarType production_dtype(const std::string& module, at::Device device) {
  const bool gpu = device.is_cuda();
  if (module == "wan_dit" || module == "umt5_encoder") return gpu ? at::kBFloat16 : at::kFloat;
  if (module == "clip_vision") return gpu ? at::kHalf : at::kFloat;
  if (module == "wan_vae" || module == "wan22_vae") return at::kFloat;
  throw ConfigError("no production dtype for module '" + module +
                    "' (known: wan_dit, umt5_encoder, clip_vision, wan_vae, wan22_vae)");
}

}  // namespace motionfarm::model
