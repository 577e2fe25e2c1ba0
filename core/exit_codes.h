// Process exit codes: part of motionfarm's interface (Slurm scripts and wranglers act on them).
// docs/exit-codes.md documents each one; keep the two in step.
#pragma once

namespace motionfarm {

enum ExitCode : int {
  kExitSuccess = 0,        // everything asked for was done
  kExitInternalError = 1,  // a bug or an unexpected failure: see the log
  kExitUsage = 2,          // unknown subcommand or option, missing argument
  kExitBadInput = 3,       // the manifest, an image, weights or a checkpoint cannot be used
  kExitAssetsFailed = 4,   // the batch finished, but some assets failed (the report says why)
  kExitCommFailure = 5,    // a rank or the interconnect failed; the job was aborted
  kExitCheckFailed = 6,    // a check ran and failed (model verify outside its tolerance)
  kExitNotAvailable = 69,  // the subcommand exists but is not built yet (sysexits EX_UNAVAILABLE)
  kExitDiskFull = 73,      // a write found the disk full; free space and rerun (EX_CANTCREAT)
  kExitPreempted = 75,     // stopped by a signal after checkpointing; rerun to resume (EX_TEMPFAIL)
};

}  // namespace motionfarm
