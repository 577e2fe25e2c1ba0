#include "model/wan_dit_config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <sstream>

#include "core/check.h"
#include "core/config_paths.h"
#include "core/error.h"
#include "model/config_yaml.h"

namespace motionfarm::model {
namespace {

using FieldReader =
    std::function<void(WanDiTConfig&, const std::string& source, const YAML::Node& value)>;

template <class T>
FieldReader field(T WanDiTConfig::*member, const char* key) {
  return [member, key](WanDiTConfig& config, const std::string& source, const YAML::Node& value) {
    config.*member = read_yaml_scalar<T>(source, key, value);
  };
}

const std::map<std::string, FieldReader>& field_readers() {
  static const std::map<std::string, FieldReader> readers = {
      {"model_type", field(&WanDiTConfig::model_type, "model_type")},
      {"text_len", field(&WanDiTConfig::text_len, "text_len")},
      {"in_dim", field(&WanDiTConfig::in_dim, "in_dim")},
      {"dim", field(&WanDiTConfig::dim, "dim")},
      {"ffn_dim", field(&WanDiTConfig::ffn_dim, "ffn_dim")},
      {"freq_dim", field(&WanDiTConfig::freq_dim, "freq_dim")},
      {"text_dim", field(&WanDiTConfig::text_dim, "text_dim")},
      {"out_dim", field(&WanDiTConfig::out_dim, "out_dim")},
      {"num_heads", field(&WanDiTConfig::num_heads, "num_heads")},
      {"num_layers", field(&WanDiTConfig::num_layers, "num_layers")},
      {"qk_norm", field(&WanDiTConfig::qk_norm, "qk_norm")},
      {"cross_attn_norm", field(&WanDiTConfig::cross_attn_norm, "cross_attn_norm")},
      {"eps", field(&WanDiTConfig::eps, "eps")},
      {"clip_image_branch", field(&WanDiTConfig::clip_image_branch, "clip_image_branch")},
      {"family", field(&WanDiTConfig::family, "family")},
      {"description", field(&WanDiTConfig::description, "description")},
      {"patch_size",
       [](WanDiTConfig& config, const std::string& source, const YAML::Node& value) {
         if (!value.IsSequence() || value.size() != 3) {
           throw ConfigError(yaml_position(source, value) +
                             ": 'patch_size' must be a list of three integers [t, h, w]");
         }
         for (std::size_t i = 0; i < 3; ++i) {
           config.patch_size[i] = read_yaml_scalar<int64_t>(source, "patch_size", value[i]);
         }
       }},
      // Keys of the reference's constructor / golden JSON that carry no architecture here.
      {"module", [](WanDiTConfig&, const std::string&, const YAML::Node&) {}},
      {"seq_len", [](WanDiTConfig&, const std::string&, const YAML::Node&) {}},
      // A preset's sampling defaults and experts, read by model/preset_sampling.h.
      {"sampling", [](WanDiTConfig&, const std::string&, const YAML::Node&) {}},
      {"experts", [](WanDiTConfig&, const std::string&, const YAML::Node&) {}},
      {"window_size",
       [](WanDiTConfig&, const std::string& source, const YAML::Node& value) {
         // Every released Wan model uses global attention; a local window is not implemented.
         const bool global = value.IsSequence() && value.size() == 2 &&
                             read_yaml_scalar<int64_t>(source, "window_size", value[0]) == -1 &&
                             read_yaml_scalar<int64_t>(source, "window_size", value[1]) == -1;
         if (!global) {
           throw ConfigError(yaml_position(source, value) +
                             ": only window_size [-1, -1] (global attention) is supported");
         }
       }},
  };
  return readers;
}

}  // namespace

bool WanDiTConfig::takes_conditioning_latent() const {
  return model_type == "i2v" || model_type == "flf2v";
}

bool WanDiTConfig::has_image_branch() const {
  return takes_conditioning_latent() && clip_image_branch;
}

void WanDiTConfig::validate() const {
  MF_CHECK(
      model_type == "t2v" || model_type == "i2v" || model_type == "flf2v" || model_type == "ti2v",
      ConfigError, "model_type '" << model_type << "' is not one of t2v, i2v, flf2v, ti2v");
  for (int64_t p : patch_size) {
    MF_CHECK_GT(p, 0, ConfigError, "patch_size entries must be positive");
  }
  MF_CHECK_GT(dim, 0, ConfigError, "dim must be positive");
  MF_CHECK_GT(num_heads, 0, ConfigError, "num_heads must be positive");
  MF_CHECK_EQ(dim % num_heads, 0, ConfigError, "dim must be divisible by num_heads");
  // RoPE rotates pairs of channels, and splits each head's pairs over (frame, row, column).
  MF_CHECK_EQ(head_dim() % 2, 0, ConfigError, "head_dim (dim / num_heads) must be even");
  MF_CHECK_GE(head_dim(), 6, ConfigError,
              "head_dim must be at least 6 so every RoPE axis gets a channel pair");
  MF_CHECK_GT(ffn_dim, 0, ConfigError, "ffn_dim must be positive");
  MF_CHECK_GT(freq_dim, 0, ConfigError, "freq_dim must be positive");
  MF_CHECK_EQ(freq_dim % 2, 0, ConfigError, "freq_dim must be even ([cos | sin] halves)");
  MF_CHECK_GT(text_dim, 0, ConfigError, "text_dim must be positive");
  MF_CHECK_GT(text_len, 0, ConfigError, "text_len must be positive");
  MF_CHECK_GT(in_dim, 0, ConfigError, "in_dim must be positive");
  MF_CHECK_GT(out_dim, 0, ConfigError, "out_dim must be positive");
  MF_CHECK_GT(num_layers, 0, ConfigError, "num_layers must be positive");
  MF_CHECK(eps > 0.0 && eps < 1.0, ConfigError, "eps " << eps << " must be in (0, 1)");
  MF_CHECK(model_type != "flf2v" || clip_image_branch, ConfigError,
           "flf2v needs the CLIP image branch (its image position table); drop clip_image_branch");
  if (takes_conditioning_latent()) {
    // y (the conditioning latent: mask + encoded first frame) is concatenated to x on channels.
    MF_CHECK_GT(in_dim, out_dim, ConfigError,
                model_type << " concatenates y to x, so in_dim must exceed out_dim");
  }
}

WanDiTConfig wan_dit_config_from_node(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) {
    throw ConfigError(yaml_position(source, node) +
                      ": a DiT config must be a mapping of keys to values");
  }
  WanDiTConfig config;
  const auto& readers = field_readers();
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const auto reader = readers.find(key);
    if (reader == readers.end()) {
      std::string known;
      for (const auto& [name, unused] : readers) known += " " + name;
      throw ConfigError(yaml_position(source, entry.first) + ": unknown DiT config key '" + key +
                        "'; known keys:" + known);
    }
    reader->second(config, source, entry.second);
  }
  try {
    config.validate();
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
  return config;
}

WanDiTConfig load_wan_dit_config_file(const std::string& path) {
  const YAML::Node node = load_yaml_config_file(path, "DiT");
  return wan_dit_config_from_node(node, path);
}

WanDiTConfig load_dit_preset(const std::string& name) {
  return load_wan_dit_config_file(core::find_config_file("models/" + name + ".yaml"));
}

}  // namespace motionfarm::model
