// A full disk without root: RLIMIT_FSIZE (`ulimit -f`) caps how large any file this process (and
// every child it starts) may grow, so a write past the cap fails with EFBIG, which motionfarm
// treats as a full disk (core/disk_full.h). SIGXFSZ, which would otherwise kill the process, is
// ignored meanwhile (an ignored disposition survives exec, so children see the same).
//
// Unlike a small tmpfs, this needs no mount (CI containers forbid it) and no LD_PRELOAD. The cap is
// per file, not per file system: choose it between the size of what must still be written and the
// size of what must fail.
#pragma once

#include <sys/resource.h>

#include <cstdint>

namespace motionfarm::testing {

class FileSizeLimit {
 public:
  // Lowers the soft limit to `bytes` (never above the hard limit) until destruction.
  explicit FileSizeLimit(uint64_t bytes);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace motionfarm::testing
