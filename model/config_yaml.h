// Reading model configs (presets and golden-case JSON) with yaml-cpp: positions, typed scalars and
// file loading, with errors that say file:line:col. Shared by the DiT, VAE and encoder configs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/error.h"

namespace motionfarm::model {

// "file:line:col" of a node (yaml-cpp counts from 0; editors from 1), or "file" without a mark.
std::string yaml_position(const std::string& source, const YAML::Node& node);

// value.as<T>(), or a ConfigError "file:line:col: 'key' has a value of the wrong type".
template <class T>
T read_yaml_scalar(const std::string& source, const std::string& key, const YAML::Node& value) {
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(yaml_position(source, value) + ": '" + key +
                      "' has a value of the wrong type");
  }
}

// Parses `path`; ConfigError "cannot read <what> config 'path'" or "path:line:col: message".
YAML::Node load_yaml_config_file(const std::string& path, const std::string& what);

}  // namespace motionfarm::model
