// What a weights file holds: which module, in which name layout, with which architecture, and
// every problem against the matching preset. Backs `motionfarm model inspect`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/wan_dit_config.h"

namespace motionfarm::model {

struct CheckpointInspection {
  std::string path;
  // "wan_dit", "wan_vae", "wan22_vae", "umt5_encoder", "clip_vision" or "unknown".
  std::string module;
  std::string layout;  // name layout: native, comfyui, diffusers (DiT)
  int64_t tensor_count = 0;
  int64_t parameter_count = 0;
  int64_t bytes = 0;
  std::map<std::string, int64_t> dtype_counts;  // "BF16" -> tensors
  // DiT: the architecture read off the shapes, the preset it matches (if any), and the problems
  // against that preset (or against the inferred config when none matches).
  std::optional<WanDiTConfig> dit_config;
  std::string matched_preset;
  std::vector<std::string> problems;
};

// Reads names, dtypes and shapes only (no tensor data). `preset`, when not empty, is the preset to
// check against instead of the best match.
CheckpointInspection inspect_checkpoint(const io::SafetensorsCheckpoint& checkpoint,
                                        const std::string& preset = "");

// Every preset name under configs/models/ that holds a DiT config.
std::vector<std::string> dit_preset_names();

}  // namespace motionfarm::model
