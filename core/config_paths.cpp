#include "core/config_paths.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace motionfarm::core {

std::vector<std::string> config_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* from_env = std::getenv("MOTIONFARM_CONFIG_DIR"); from_env && *from_env) {
    dirs.emplace_back(from_env);
  }
  dirs.emplace_back(MOTIONFARM_BUILTIN_CONFIG_DIR);
  return dirs;
}

std::string find_config_file(const std::string& relative_path) {
  std::string looked;
  for (const std::string& dir : config_search_dirs()) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / relative_path;
    if (std::filesystem::is_regular_file(candidate)) return candidate.string();
    looked += "\n  " + candidate.string();
  }
  throw ConfigError("cannot find '" + relative_path + "'; looked at:" + looked +
                    "\nset MOTIONFARM_CONFIG_DIR to the folder that holds motionfarm's configs/");
}

}  // namespace motionfarm::core
