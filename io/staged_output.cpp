#include "io/staged_output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/disk_full.h"
#include "core/error.h"
#include "io/output_path.h"

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

// fsync(2) of `path`; the errno it failed with, 0 on success. A file system that allocates at
// write-back (NFS, ext4's delayed allocation) may report a full disk only here.
int fsync_path(const std::string& path, bool is_folder) {
  const int fd = ::open(path.c_str(), (is_folder ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return errno;
  const int result = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

// Flushes the data of a written file. A full disk or an I/O error means the data is not all
// there, so the name must not be given to it; any other failure (a file system without fsync) is
// no worse than before the flush. A folder's own fsync is best effort for the same reason.
void flush_file(const std::string& path, const std::string& final_path) {
  const int code = fsync_path(path, false);
  if (core::is_out_of_space(code)) {
    throw DiskFullError("cannot write " + final_path + " (flushing " + path +
                        "): " + core::disk_full_text(code));
  }
  if (code == EIO) {
    throw Error("cannot write " + final_path + ": flushing " + path +
                " failed: " + std::strerror(code));
  }
}

// rename(2) that never replaces: renameat2(RENAME_NOREPLACE) where the file system has it; else,
// for a file, link(2) (which fails with EEXIST just as atomically) and unlink(2) of the temporary;
// for a folder, a look before rename(2), which still refuses to replace a non-empty folder. The
// errno it failed with, 0 on success.
int rename_without_replacing(const std::string& from, const std::string& to, bool is_folder) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  if (!is_folder) {
    if (::link(from.c_str(), to.c_str()) != 0) return errno;
    ::unlink(from.c_str());
    return 0;
  }
  struct stat status;
  if (::lstat(to.c_str(), &status) == 0) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
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

StagedOutput::StagedOutput(std::string final_path, bool is_folder, OutputPolicy policy)
    : final_path_(std::move(final_path)), is_folder_(is_folder), policy_(std::move(policy)) {
  const fs::path target(final_path_);
  if (target.filename().empty()) throw Error("output path " + final_path_ + " names no file");
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  check_policy();
  std::error_code error;
  if (!policy_.replace_existing && fs::exists(fs::symlink_status(final_path_, error))) {
    throw OutputPathError("output " + final_path_ + " already exists and is not replaced (it " +
                          "was not written by this job): move it away, or set " +
                          "output.overwrite: true to replace it");
  }
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

void StagedOutput::check_policy() const {
  if (policy_.root.empty()) return;
  const std::string problem = output_path_escape(policy_.root, final_path_);
  if (!problem.empty()) {
    throw OutputPathError("refusing to write " + final_path_ + ": " + problem);
  }
}

void StagedOutput::commit() {
  if (committed_) return;
  check_policy();
  // Data first, then the name: after a power loss the final name never points at missing blocks.
  if (is_folder_) {
    for (const fs::directory_entry& entry : fs::directory_iterator(temporary_path_)) {
      flush_file(entry.path().string(), final_path_);
    }
    fsync_path(temporary_path_, true);
  } else {
    flush_file(temporary_path_, final_path_);
  }
  // Again at the last moment: a folder on the way may have been swapped for a symlink since the
  // temporary was made. (A process that can write in the output root and swaps it between this
  // check and the rename still wins; what this stops is a link made while the job runs.)
  check_policy();
  std::error_code error;
  if (!policy_.replace_existing) {
    const int code = rename_without_replacing(temporary_path_, final_path_, is_folder_);
    if (code == EEXIST || code == ENOTEMPTY) {
      throw OutputPathError("output " + final_path_ +
                            " appeared while it was being written and is not replaced (it was "
                            "not written by this job): move it away, or set output.overwrite: "
                            "true to replace it");
    }
    if (code != 0) {
      throw Error("cannot rename " + temporary_path_ + " to " + final_path_ + ": " +
                  std::strerror(code));
    }
  } else if (is_folder_ && fs::exists(final_path_, error)) {
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
