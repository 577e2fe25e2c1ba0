// Where motionfarm looks for its shipped configuration (model presets, example jobs).
#pragma once

#include <string>
#include <vector>

namespace motionfarm::core {

// The folders to search for files under configs/, in order: $MOTIONFARM_CONFIG_DIR (when set),
// then the repository's configs/ this binary was built from. Presets are looked up by name in
// `<dir>/models/<name>.yaml`.
std::vector<std::string> config_search_dirs();

// The first `<dir>/<relative_path>` that exists among config_search_dirs(); throws ConfigError
// listing every place looked at when none does.
std::string find_config_file(const std::string& relative_path);

}  // namespace motionfarm::core
