// The full list of a Wan DiT's tensors (native Wan names and shapes) for a config, computed
// without allocating anything: for checking checkpoints, counting parameters and sizing memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/wan_dit_config.h"

namespace motionfarm::model {

struct ParameterSpec {
  std::string name;  // native Wan name, e.g. "blocks.3.self_attn.q.weight"
  std::vector<int64_t> shape;
  // Kept in float32 whatever the compute dtype, as the reference runs them under fp32 autocast:
  // modulation tables, norms, the time embedding/projection and the output head.
  bool keep_fp32 = false;

  int64_t numel() const;
};

// In the order of the reference module's state_dict (embeddings, blocks, head, image embedding).
std::vector<ParameterSpec> wan_dit_parameter_specs(const WanDiTConfig& config);

// Sum of numel() over the specs.
int64_t wan_dit_parameter_count(const WanDiTConfig& config);

}  // namespace motionfarm::model
