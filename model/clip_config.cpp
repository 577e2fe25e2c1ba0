#include "model/clip_config.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>

#include "core/check.h"
#include "core/error.h"
#include "model/config_yaml.h"

namespace motionfarm::model {
namespace {

std::array<double, 3> read_triple(const std::string& source, const std::string& key,
                                  const YAML::Node& value) {
  if (!value.IsSequence() || value.size() != 3) {
    throw ConfigError(yaml_position(source, value) + ": CLIP config key '" + key +
                      "' must be a list of three numbers (R, G, B)");
  }
  return {read_yaml_scalar<double>(source, key, value[0]),
          read_yaml_scalar<double>(source, key, value[1]),
          read_yaml_scalar<double>(source, key, value[2])};
}

const std::map<std::string, int64_t ClipVisionConfig::*>& integer_fields() {
  static const std::map<std::string, int64_t ClipVisionConfig::*> fields = {
      {"image_size", &ClipVisionConfig::image_size},
      {"patch_size", &ClipVisionConfig::patch_size},
      {"dim", &ClipVisionConfig::dim},
      {"out_dim", &ClipVisionConfig::out_dim},
      {"num_heads", &ClipVisionConfig::num_heads},
      {"num_layers", &ClipVisionConfig::num_layers},
  };
  return fields;
}

}  // namespace

void ClipVisionConfig::validate() const {
  MF_CHECK_GT(patch_size, 0, ConfigError, "CLIP patch_size must be positive");
  MF_CHECK_GE(image_size, patch_size, ConfigError, "CLIP image_size must hold a patch");
  // The reference only warns; a partial last patch would be dropped by the conv.
  MF_CHECK_EQ(image_size % patch_size, 0, ConfigError,
              "CLIP image_size must be a multiple of patch_size");
  MF_CHECK_GT(dim, 0, ConfigError, "CLIP dim must be positive");
  MF_CHECK_GT(num_heads, 0, ConfigError, "CLIP num_heads must be positive");
  MF_CHECK_EQ(dim % num_heads, 0, ConfigError, "CLIP dim must divide into num_heads");
  MF_CHECK(mlp_ratio > 0.0, ConfigError, "CLIP mlp_ratio must be positive");
  MF_CHECK_GT(num_layers, 0, ConfigError, "CLIP num_layers must be positive");
  MF_CHECK(!use_31_block || num_layers >= 2, ConfigError,
           "CLIP use_31_block needs at least two layers");
  MF_CHECK(pool_type == "token" || pool_type == "token_fc" || pool_type == "attn_pool", ConfigError,
           "CLIP pool_type '" << pool_type << "' is not token, token_fc or attn_pool");
  // swi_glu exists in the reference but no released vision tower uses it.
  MF_CHECK(activation == "gelu" || activation == "quick_gelu", ConfigError,
           "CLIP activation '" << activation << "' is not gelu or quick_gelu");
  MF_CHECK(norm_eps > 0.0 && norm_eps < 1.0, ConfigError, "CLIP norm_eps must be in (0, 1)");
  for (double s : std) MF_CHECK(s > 0.0, ConfigError, "CLIP pixel std must be positive");
}

ClipVisionConfig clip_vit_h_14_config() { return ClipVisionConfig{}; }

ClipVisionConfig clip_vision_config_from_node(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) {
    throw ConfigError(yaml_position(source, node) +
                      ": a CLIP config must be a mapping of keys to values");
  }
  ClipVisionConfig config;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const auto field = integer_fields().find(key);
    if (field != integer_fields().end()) {
      config.*(field->second) = read_yaml_scalar<int64_t>(source, key, value);
    } else if (key == "mlp_ratio") {
      config.mlp_ratio = read_yaml_scalar<double>(source, key, value);
    } else if (key == "norm_eps") {
      config.norm_eps = read_yaml_scalar<double>(source, key, value);
    } else if (key == "pool_type") {
      config.pool_type = read_yaml_scalar<std::string>(source, key, value);
    } else if (key == "activation") {
      config.activation = read_yaml_scalar<std::string>(source, key, value);
    } else if (key == "pre_norm") {
      config.pre_norm = read_yaml_scalar<bool>(source, key, value);
    } else if (key == "post_norm") {
      config.post_norm = read_yaml_scalar<bool>(source, key, value);
    } else if (key == "use_31_block") {
      config.use_31_block = read_yaml_scalar<bool>(source, key, value);
    } else if (key == "mean") {
      config.mean = read_triple(source, key, value);
    } else if (key == "std") {
      config.std = read_triple(source, key, value);
    } else if (key == "module") {
      const std::string module = read_yaml_scalar<std::string>(source, key, value);
      if (module != "clip_vision") {
        throw ConfigError(yaml_position(source, value) + ": module is '" + module +
                          "', not a CLIP vision tower (clip_vision)");
      }
    } else if (key == "attn_dropout" || key == "proj_dropout" || key == "embedding_dropout") {
      read_yaml_scalar<double>(source, key, value);  // training only
    } else {
      std::string known =
          " mlp_ratio norm_eps pool_type activation pre_norm post_norm use_31_block mean std "
          "module";
      for (const auto& [name, unused] : integer_fields()) known += " " + name;
      throw ConfigError(yaml_position(source, entry.first) + ": unknown CLIP config key '" + key +
                        "'; known keys:" + known);
    }
  }
  try {
    config.validate();
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
  return config;
}

ClipVisionConfig load_clip_vision_config_file(const std::string& path) {
  const YAML::Node node = load_yaml_config_file(path, "CLIP");
  return clip_vision_config_from_node(node, path);
}

}  // namespace motionfarm::model
