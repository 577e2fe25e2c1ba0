#include "model/umt5_config.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>

#include "core/check.h"
#include "core/error.h"
#include "model/config_yaml.h"

namespace motionfarm::model {
namespace {

const std::map<std::string, int64_t Umt5Config::*>& integer_fields() {
  static const std::map<std::string, int64_t Umt5Config::*> fields = {
      {"vocab", &Umt5Config::vocab},
      {"dim", &Umt5Config::dim},
      {"dim_attn", &Umt5Config::dim_attn},
      {"dim_ffn", &Umt5Config::dim_ffn},
      {"num_heads", &Umt5Config::num_heads},
      {"num_layers", &Umt5Config::num_layers},
      {"num_buckets", &Umt5Config::num_buckets},
      {"max_dist", &Umt5Config::max_dist},
      {"text_len", &Umt5Config::text_len},
  };
  return fields;
}

}  // namespace

void Umt5Config::validate() const {
  MF_CHECK_GT(vocab, 0, ConfigError, "umT5 vocab must be positive");
  MF_CHECK_GT(dim, 0, ConfigError, "umT5 dim must be positive");
  MF_CHECK_GT(dim_attn, 0, ConfigError, "umT5 dim_attn must be positive");
  MF_CHECK_GT(dim_ffn, 0, ConfigError, "umT5 dim_ffn must be positive");
  MF_CHECK_GT(num_heads, 0, ConfigError, "umT5 num_heads must be positive");
  MF_CHECK_EQ(dim_attn % num_heads, 0, ConfigError, "umT5 dim_attn must divide into num_heads");
  MF_CHECK_GT(num_layers, 0, ConfigError, "umT5 num_layers must be positive");
  // Bidirectional buckets: half per direction, and half of those exact (max_exact >= 1).
  MF_CHECK_GE(num_buckets, 4, ConfigError, "umT5 num_buckets must be at least 4");
  MF_CHECK_EQ(num_buckets % 2, 0, ConfigError, "umT5 num_buckets must be even");
  MF_CHECK_GT(max_dist, num_buckets / 4, ConfigError,
              "umT5 max_dist must exceed the exact range (num_buckets / 4)");
  MF_CHECK(eps > 0.0 && eps < 1.0, ConfigError, "umT5 eps " << eps << " must be in (0, 1)");
  MF_CHECK_GT(text_len, 0, ConfigError, "umT5 text_len must be positive");
}

Umt5Config umt5_xxl_config() { return Umt5Config{}; }

Umt5Config umt5_config_from_node(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) {
    throw ConfigError(yaml_position(source, node) +
                      ": a umT5 config must be a mapping of keys to values");
  }
  Umt5Config config;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const auto field = integer_fields().find(key);
    if (field != integer_fields().end()) {
      config.*(field->second) = read_yaml_scalar<int64_t>(source, key, value);
    } else if (key == "eps") {
      config.eps = read_yaml_scalar<double>(source, key, value);
    } else if (key == "module") {
      const std::string module = read_yaml_scalar<std::string>(source, key, value);
      if (module != "umt5_encoder") {
        throw ConfigError(yaml_position(source, value) + ": module is '" + module +
                          "', not a umT5 text encoder (umt5_encoder)");
      }
    } else if (key == "shared_pos") {
      // umT5 has its own position bias in every layer; T5's single shared one is another model.
      if (read_yaml_scalar<bool>(source, key, value)) {
        throw ConfigError(yaml_position(source, value) +
                          ": shared_pos true (T5's one shared position bias) is not supported; "
                          "umT5 has one per layer (shared_pos false)");
      }
    } else if (key == "dropout") {
      read_yaml_scalar<double>(source, key, value);  // training only
    } else {
      std::string known = " eps module shared_pos dropout";
      for (const auto& [name, unused] : integer_fields()) known += " " + name;
      throw ConfigError(yaml_position(source, entry.first) + ": unknown umT5 config key '" + key +
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

Umt5Config load_umt5_config_file(const std::string& path) {
  const YAML::Node node = load_yaml_config_file(path, "umT5");
  return umt5_config_from_node(node, path);
}

}  // namespace motionfarm::model
