#include "tests/support/test_paths.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace motionfarm::testing {

std::string source_dir() {
  if (const char* from_env = std::getenv("MOTIONFARM_SOURCE_DIR")) return from_env;
  return MOTIONFARM_SOURCE_DIR;
}

std::string shared_dir() {
  if (const char* from_env = std::getenv("MOTIONFARM_SHARED_DIR")) return from_env;
  return (std::filesystem::path(source_dir()).parent_path() / "shared").string();
}

ScratchDir::ScratchDir(const std::string& label) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("motionfarm-" + label + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a scratch folder from " + pattern);
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace motionfarm::testing
