// The umt5_encoder and clip_vision runners of `motionfarm model verify`.
#include "model/clip_config.h"
#include "model/clip_vision_encoder.h"
#include "model/reference_case.h"
#include "model/umt5_config.h"
#include "model/umt5_encoder.h"

namespace motionfarm::model {

// `ids` (stored as float in the golden files) + `mask` -> `out`.
namespace {
EncoderLoadOptions encoder_options(const VerifyPlacement& placement) {
  EncoderLoadOptions options;
  options.device = placement.device;
  options.dtype = *placement.dtype;
  return options;
}
}  // namespace

std::vector<OutputComparison> verify_umt5_encoder_case(const ReferenceCase& reference_case,
                                                       const VerifyPlacement& placement) {
  const Umt5Config config =
      umt5_config_from_node(reference_case.config, reference_case.prefix + ".json");
  const Umt5Encoder encoder =
      Umt5Encoder::load(reference_case.weights, config, encoder_options(placement));
  const at::Tensor ids = reference_case.tensor("ids").round().to(at::kLong);
  const at::Tensor mask = reference_case.tensor("mask").round().to(at::kLong);
  return {compare_output("out", encoder.forward(ids, mask), reference_case.tensor("out"))};
}

// `pixels` -> `out` through the reference's resize and normalisation; `normalized` -> `out_tower`.
std::vector<OutputComparison> verify_clip_vision_case(const ReferenceCase& reference_case,
                                                      const VerifyPlacement& placement) {
  const ClipVisionConfig config =
      clip_vision_config_from_node(reference_case.config, reference_case.prefix + ".json");
  const ClipVisionEncoder encoder =
      ClipVisionEncoder::load(reference_case.weights, config, encoder_options(placement));
  std::vector<OutputComparison> comparisons;
  if (reference_case.has("pixels")) {
    comparisons.push_back(compare_output("out", encoder.encode(reference_case.tensor("pixels")),
                                         reference_case.tensor("out")));
  }
  if (reference_case.has("normalized")) {
    comparisons.push_back(compare_output("out_tower",
                                         encoder.forward_tower(reference_case.tensor("normalized")),
                                         reference_case.tensor("out_tower")));
  }
  return comparisons;
}

}  // namespace motionfarm::model
