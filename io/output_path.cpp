#include "io/output_path.h"

#include <filesystem>

namespace motionfarm::io {

namespace fs = std::filesystem;

std::string output_path_escape(const std::string& root, const std::string& path) {
  fs::path root_path = fs::path(root).lexically_normal();
  if (!root_path.has_filename() && root_path.has_parent_path()) root_path = root_path.parent_path();
  const fs::path given(path);
  const fs::path target = (given.is_absolute() ? given : root_path / given).lexically_normal();
  const fs::path inside = target.lexically_relative(root_path);
  if (inside.empty() || inside == "." || *inside.begin() == "..") {
    return "the output path " + target.string() + " is outside output.root " + root_path.string();
  }
  // Follow each existing component as the writer's open() and rename() would.
  std::error_code error;
  if (!fs::exists(root_path, error)) return "";
  const fs::path canonical_root = fs::canonical(root_path, error);
  if (error) return "";
  fs::path walked = root_path;
  for (const fs::path& part : inside) {
    walked /= part;
    if (!fs::is_symlink(fs::symlink_status(walked, error))) {
      if (!fs::exists(walked, error)) break;
      continue;
    }
    const fs::path resolved = fs::weakly_canonical(walked, error);
    const fs::path from_root = resolved.lexically_relative(canonical_root);
    if (error || from_root.empty() || *from_root.begin() == "..") {
      return walked.string() + " is a symlink to " + resolved.string() + ", outside output.root " +
             canonical_root.string() + ": remove the link or point output.root at the real folder";
    }
  }
  return "";
}

}  // namespace motionfarm::io
