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

class StagedOutput {
 public:
  // Removes stale temporaries of `final_path` (see above) and, for a folder, creates the empty
  // temporary folder. Throws Error when the parent folder does not exist or is not writable.
  StagedOutput(std::string final_path, bool is_folder);
  // Removes the temporary unless commit() succeeded; never throws.
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& temporary_path() const { return temporary_path_; }
  bool committed() const { return committed_; }

  // Flushes the temporary to disk and renames it to the final path, replacing what was there.
  // Throws Error when the rename fails (the temporary is then still removed by the destructor).
  void commit();

 private:
  std::string final_path_;
  std::string temporary_path_;
  bool is_folder_;
  bool committed_ = false;
};

// Removes temporaries of `final_path` written on this host by processes that no longer run.
// Returns how many were removed.
int remove_stale_temporaries(const std::string& final_path);

}  // namespace motionfarm::io
