// The coordinator: runs on world rank 0 in its own thread (rank 0's main thread renders as the
// leader of group 0), hands tasks to the group leaders over the farm communicator, and records
// every attempt in the ledger. Its message protocol is rank/farm_channel.h's (docs/farm.md):
//
//   leader -> coordinator  kTagReport      ready | done | failed | interrupted   -> an Assignment
//                                          (each says which expert the group holds now and
//                                          whether it loaded one for the task)
//                                          progress (after each sampling step)   -> "go" | "stop"
//   coordinator -> leader  kTagAssignment  a task, or stop (job finished or stopping)
//
// A stop (SIGUSR1/SIGTERM/SIGINT on rank 0, or a group that stopped for its own signal) answers
// every group's next step report with "stop", so each leaves its task at the next step boundary;
// the interrupted tasks stay unfinished in the ledger and a rerun does them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "coordinator/asset_plan.h"
#include "coordinator/job_ledger.h"
#include "coordinator/manifest.h"
#include "coordinator/scheduler.h"
#include "parallel/mpi_comm.h"

namespace motionfarm::coordinator {

struct CoordinatorOptions {
  const Job* job = nullptr;                       // borrowed
  const std::vector<AssetPlan>* plans = nullptr;  // borrowed, one per job asset
  std::string state_dir;
  JobLedger* ledger = nullptr;              // borrowed; used by the coordinator thread only
  Scheduler* scheduler = nullptr;           // borrowed; already reconciled with the ledger
  const parallel::MpiComm* farm = nullptr;  // the farm communicator; we are its rank 0
  int num_groups = 1;
  int64_t run_id = 0;
  double progress_interval_s = 30.0;  // log lines when not on a TTY
  bool progress_tty = false;          // a live progress line on stderr instead
  std::string coordinator_log;        // the human log file
  // Asset ids whose tasks fail their first attempt on purpose (test hook; docs/farm.md).
  std::set<std::string> fail_first_attempt;
};

struct FarmOutcome {
  int exit_code = 0;  // kExitSuccess, kExitAssetsFailed or kExitPreempted
  int64_t assets = 0;
  int64_t done = 0;
  int64_t failed = 0;
  bool stopped = false;
  std::vector<std::string> failures;  // "asset: reason"
  std::string summary;                // one line
  double forward_seconds = 0.0;       // summed over groups (per leader)
  double wall_seconds = 0.0;
  int64_t tasks_run = 0;
  int64_t expert_loads = 0;  // expert DiTs the groups loaded (presets with experts)
};

// The coordinator thread's body: returns once every group has been told to stop.
FarmOutcome run_coordinator(const CoordinatorOptions& options);

}  // namespace motionfarm::coordinator
