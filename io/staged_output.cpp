#include "io/staged_output.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/error.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  std::string host(name);
  for (char& c : host) {
    if (c == '/' || c == '-') c = '_';  // '-' separates the host from the pid in the name
  }
  return host;
}

std::string temporary_prefix(const fs::path& final_path) {
  return "." + final_path.filename().string() + ".partial-";
}

void fsync_path(const std::string& path, bool is_folder) {
  const int fd = ::open(path.c_str(), (is_folder ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

int remove_stale_temporaries(const std::string& final_path) {
  const fs::path target(final_path);
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = temporary_prefix(target) + host_name() + "-";
  int removed = 0;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid <= 0 || end == pid_text.c_str() || *end != '\0') continue;
    // Alive (or not ours to signal): leave it. Only a process that is gone is stale.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    if (fs::remove_all(entry.path(), ignored) > 0) ++removed;
  }
  return removed;
}

StagedOutput::StagedOutput(std::string final_path, bool is_folder)
    : final_path_(std::move(final_path)), is_folder_(is_folder) {
  const fs::path target(final_path_);
  if (target.filename().empty()) throw Error("output path " + final_path_ + " names no file");
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw Error("output folder " + folder.string() + " of " + final_path_ +
                " does not exist; create it first");
  }
  remove_stale_temporaries(final_path_);
  temporary_path_ =
      (folder / (temporary_prefix(target) + host_name() + "-" + std::to_string(::getpid())))
          .string();
  fs::remove_all(temporary_path_, error);  // a leftover of this very pid
  if (is_folder_) {
    if (!fs::create_directory(temporary_path_, error)) {
      throw Error("cannot create the temporary folder " + temporary_path_ + ": " + error.message());
    }
  }
}

StagedOutput::~StagedOutput() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(temporary_path_, ignored);
}

void StagedOutput::commit() {
  if (committed_) return;
  // Data first, then the name: after a power loss the final name never points at missing blocks.
  if (is_folder_) {
    for (const fs::directory_entry& entry : fs::directory_iterator(temporary_path_)) {
      fsync_path(entry.path().string(), false);
    }
  }
  fsync_path(temporary_path_, is_folder_);
  std::error_code error;
  if (is_folder_ && fs::exists(final_path_, error)) {
    // rename(2) cannot replace a non-empty folder: move the old one aside, then drop it.
    const std::string old_path = temporary_path_ + ".old";
    fs::rename(final_path_, old_path, error);
    if (error) throw Error("cannot replace " + final_path_ + ": " + error.message());
    fs::rename(temporary_path_, final_path_, error);
    std::error_code ignored;
    fs::remove_all(old_path, ignored);
  } else {
    fs::rename(temporary_path_, final_path_, error);
  }
  if (error) {
    throw Error("cannot rename " + temporary_path_ + " to " + final_path_ + ": " + error.message());
  }
  committed_ = true;
  fsync_path(fs::path(final_path_).parent_path().empty()
                 ? "."
                 : fs::path(final_path_).parent_path().string(),
             true);
}

}  // namespace motionfarm::io
