// An output file or folder written under a temporary name beside its final path and renamed into
// place only when complete.
//
// rename(2) within one folder is atomic, so a reader (or a retry after a crash) sees either no
// file under the final name or the complete one, never a truncated one. The temporary is
// "<folder>/.<name>.partial-<host>-<pid>": hidden, and tagged with its writer so that a later
// writer on the same host can remove temporaries whose process is gone (a SIGKILLed encode).
#pragma once

#include <string>

namespace motionfarm::io {

// Where a staged output may land. The defaults (anywhere, replacing what is there) suit a file the
// caller owns outright, such as a latent store; the farm's deliverables set both fields.
struct OutputPolicy {
  // When not empty, the final path must stay inside this folder (io/output_path.h). Checked when
  // the temporary is created and again just before the rename, so a folder inside the root that is
  // swapped for a symlink in between is refused (OutputPathError) instead of written through.
  std::string root;
  // False: a file or folder at the final path is never replaced. The constructor refuses one that
  // is there already, and commit() renames without replacing (atomic where the file system has
  // renameat2(RENAME_NOREPLACE) or, for a file, link(2)), so one that appears meanwhile is kept and
  // commit() throws OutputPathError.
  bool replace_existing = true;
};

class StagedOutput {
 public:
  // Removes stale temporaries of `final_path` (see above) and, for a folder, creates the empty
  // temporary folder. Throws OutputPathError when `policy` refuses the path, Error when the parent
  // folder does not exist or is not writable.
  StagedOutput(std::string final_path, bool is_folder, OutputPolicy policy = {});
  // Removes the temporary unless commit() succeeded; never throws.
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& temporary_path() const { return temporary_path_; }
  bool committed() const { return committed_; }

  // Throws OutputPathError when the policy refuses the final path as the file system is now (a
  // folder on the way became a symlink out of the root). commit() checks first thing and again
  // just before the rename; a writer that reopens its temporary by name checks before that too.
  void check_policy() const;

  // Flushes the temporary to disk and renames it to the final path (replacing what was there when
  // the policy allows). Throws DiskFullError when the flush finds the disk full, OutputPathError
  // when the policy refuses the path now, Error when the rename fails; the temporary is then still
  // removed by the destructor.
  void commit();

 private:
  std::string final_path_;
  std::string temporary_path_;
  bool is_folder_;
  OutputPolicy policy_;
  bool committed_ = false;
};

// Removes temporaries of `final_path` written on this host by processes that no longer run.
// Returns how many were removed.
int remove_stale_temporaries(const std::string& final_path);

}  // namespace motionfarm::io
