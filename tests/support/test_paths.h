// Where tests find their fixtures, and scratch folders that clean up after themselves.
#pragma once

#include <string>

namespace motionfarm::testing {

// The repository root (compiled in; MOTIONFARM_SOURCE_DIR in the environment overrides it).
std::string source_dir();
// ../shared/ beside the checkout: golden vectors and real photos given to the project.
std::string shared_dir();
// A fresh empty folder under the system temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& label = "test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace motionfarm::testing
