#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace motionfarm::fuzz {
namespace fs = std::filesystem;

namespace {

// Removes the scratch folder at exit, whatever the target left in it.
class ScratchFolder {
 public:
  ScratchFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/motionfarm-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("motionfarm fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

const std::string& scratch_dir() {
  static const ScratchFolder folder;
  return folder.path();
}

std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "motionfarm fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

std::string write_scratch_file(const std::string& name, const std::string& text) {
  return write_scratch_file(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

void remove_scratch_file(const std::string& name) {
  std::error_code ignored;
  fs::remove(scratch_dir() + "/" + name, ignored);
}

void invariant_failed(const std::string& what) {
  std::fprintf(stderr, "motionfarm fuzz: invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace motionfarm::fuzz
