// The wan_dit runner of `motionfarm model verify`: x, t, context (+ clip_fea, y) -> out.
#include "core/check.h"
#include "model/reference_case.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"

namespace motionfarm::model {

namespace {
// The reference passes one sample's tensors unbatched ([C, F, H, W], [L, C]); batched cases work
// too.
at::Tensor batched(const at::Tensor& tensor, int64_t unbatched_dims) {
  return tensor.dim() == unbatched_dims ? tensor.unsqueeze(0) : tensor;
}
}  // namespace

DiTInputs wan_dit_case_inputs(const ReferenceCase& reference_case, at::Device device) {
  DiTInputs inputs;
  inputs.x = batched(reference_case.tensor("x"), 4).to(device);
  inputs.t = reference_case.tensor("t").to(device, at::kDouble);
  inputs.context = batched(reference_case.tensor("context"), 2).to(device);
  if (reference_case.has("clip_fea"))
    inputs.clip_fea = batched(reference_case.tensor("clip_fea"), 2).to(device);
  if (reference_case.has("y")) inputs.y = batched(reference_case.tensor("y"), 4).to(device);
  return inputs;
}

WanDiT wan_dit_case_model(const ReferenceCase& reference_case, const VerifyPlacement& placement) {
  const WanDiTConfig config =
      wan_dit_config_from_node(reference_case.config, reference_case.prefix + ".json");
  WeightLoadOptions options;
  options.placement = {placement.device, *placement.dtype};
  return WanDiT(config, WanDiTWeights::load(reference_case.weights, config, options));
}

std::vector<OutputComparison> verify_wan_dit_case(const ReferenceCase& reference_case,
                                                  const VerifyPlacement& placement) {
  const WanDiT model = wan_dit_case_model(reference_case, placement);
  const DiTInputs inputs = wan_dit_case_inputs(reference_case, placement.device);
  const WanDiTConfig& config = model.config();
  // The reference pads the sequence to seq_len; more tokens than that is an invalid case.
  if (const YAML::Node seq_len = reference_case.config["seq_len"]) {
    const auto& p = config.patch_size;
    const int64_t tokens =
        inputs.x.size(2) / p[0] * (inputs.x.size(3) / p[1]) * (inputs.x.size(4) / p[2]);
    MF_CHECK_LE(tokens, seq_len.as<int64_t>(), ConfigError,
                "'" << reference_case.prefix << ".json': the latent has more tokens than seq_len");
  }
  at::Tensor out = model.forward(inputs);
  const at::Tensor expected = reference_case.tensor("out");
  if (expected.dim() == 4) out = out.squeeze(0);
  return {compare_output("out", out, expected)};
}

}  // namespace motionfarm::model
