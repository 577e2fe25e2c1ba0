// The wan_vae / wan22_vae runner of `motionfarm model verify`: encode `video` -> `z` (normalised
// mean), decode `z` -> `decoded`, `z_in` -> `decoded_in` (clamped to [-1, 1]).
#include "model/reference_case.h"
#include "model/vae_config.h"
#include "model/vae_loader.h"
#include "model/wan_vae.h"

namespace motionfarm::model {

std::vector<OutputComparison> verify_wan_vae_case(const ReferenceCase& reference_case,
                                                  const VerifyPlacement& placement) {
  // The config reader knows both layouts from the JSON's keys and module name.
  WanVae vae(load_vae_config(reference_case.prefix + ".json"),
             {placement.device, *placement.dtype});
  load_wan_vae_weights(vae, reference_case.weights);
  std::vector<OutputComparison> comparisons;
  if (reference_case.has("video")) {
    comparisons.push_back(compare_output("z", vae.encode(reference_case.tensor("video")),
                                         reference_case.tensor("z")));
  }
  if (reference_case.has("decoded")) {
    comparisons.push_back(compare_output("decoded", vae.decode(reference_case.tensor("z")),
                                         reference_case.tensor("decoded")));
  }
  if (reference_case.has("z_in")) {
    comparisons.push_back(compare_output("decoded_in", vae.decode(reference_case.tensor("z_in")),
                                         reference_case.tensor("decoded_in")));
  }
  return comparisons;
}

}  // namespace motionfarm::model
