#include "rank/file_checksum.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/check.h"
#include "model/seeded_noise.h"

namespace motionfarm::rank {

namespace fs = std::filesystem;

namespace {
uint64_t hash_file(const std::string& path, uint64_t state) {
  std::ifstream in(path, std::ios::binary);
  MF_CHECK(in.good(), Error, "cannot read " << path << " for its checksum");
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) state = model::fnv1a64(buffer.data(), static_cast<size_t>(got), state);
  }
  return state;
}
}  // namespace

std::string file_checksum(const std::string& path) {
  uint64_t state = 0xcbf29ce484222325ull;
  if (fs::is_directory(path)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      const std::string name = file.filename().string();
      state = model::fnv1a64(name.data(), name.size(), state);
      state = hash_file(file.string(), state);
    }
  } else {
    state = hash_file(path, state);
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(state));
  return hex;
}

}  // namespace motionfarm::rank
