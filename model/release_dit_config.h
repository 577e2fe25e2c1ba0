// The `config.json` a released Wan DiT folder carries next to its weights (Wan-AI's Hugging Face
// repositories; written by diffusers' ConfigMixin from WanModel's constructor arguments), read to
// check a folder against the preset that is asked to load it.
//
// The published files hold `_class_name` "WanModel", `_diffusers_version`, and model_type, dim,
// ffn_dim, freq_dim, in_dim, out_dim, num_heads, num_layers, text_len and eps: WanModel lists
// patch_size, cross_attn_norm, qk_norm, text_dim and window_size in `ignore_for_config`, so they
// are not written (wan/modules/model.py). Any of those that a file does carry is checked too.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/wan_dit_config.h"

namespace motionfarm::model {

struct ReleaseDiTConfig {
  std::string path;
  std::string class_name;            // "WanModel" for the native releases; "" when absent
  WanDiTConfig config;               // the fields the file holds; defaults elsewhere
  std::set<std::string> fields;      // the architecture keys the file holds
  std::vector<std::string> ignored;  // keys motionfarm does not read (e.g. a newer release's)
};

// One architecture field that a config.json and a preset disagree on.
struct ConfigMismatch {
  std::string field;
  std::string file_value;
  std::string preset_value;
};

// Reads `path`. Throws InputError naming the file when it is missing or not a JSON mapping, and
// naming the key when a value has the wrong type.
ReleaseDiTConfig read_release_dit_config(const std::string& path);

// The fields of `file` that differ from `preset` (none for a file whose _class_name is not
// WanModel: a Diffusers config describes the same model with other keys and is not compared).
std::vector<ConfigMismatch> release_config_mismatches(const ReleaseDiTConfig& file,
                                                      const WanDiTConfig& preset);

// Throws ModelError naming the first mismatching field, the file, both values and the preset.
void check_release_dit_config(const ReleaseDiTConfig& file, const WanDiTConfig& preset,
                              const std::string& preset_name);

// The config.json that belongs with the DiT at `dit_path` (a .safetensors file, an
// .index.json, or a folder): `config.json` in that folder. Whether it exists is the caller's
// question.
std::string release_config_path(const std::string& dit_path);

// A config.json as the releases write it for `config` (their keys, sorted; for generated folders
// and tests).
std::string release_dit_config_json(const WanDiTConfig& config);

}  // namespace motionfarm::model
