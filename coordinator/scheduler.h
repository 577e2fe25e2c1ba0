// Decides which task a free model group runs next, and what a failure means. Pure and
// deterministic (no MPI, no clock, no files): the same calls give the same answers, so the
// capacity planner (#11) can replay a job with it.
//
// Pull-based: a group asks when it is free. Among the ready tasks (predecessor done, not running)
// it gets the one with the longest remaining chain first (the critical path: a 4-segment asset's
// first segment before a 1-segment asset), then the higher asset priority, then the earlier asset
// in the manifest, then the earlier segment. A task that fails goes back to the ready set until
// it has failed `max_attempts` times; then its asset is failed with the last error and its other
// tasks are dropped — the job goes on. An interrupted task (pre-emption, a killed run) goes back
// without using up an attempt: the asset was not at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "coordinator/work_graph.h"

namespace motionfarm::coordinator {

enum class TaskState { kBlocked, kReady, kRunning, kDone, kDropped };
enum class AssetState { kPending, kDone, kFailed };

const char* to_string(TaskState state);
const char* to_string(AssetState state);

// What a reported failure led to.
enum class FailureOutcome { kRetry, kAssetFailed };

struct SchedulerCounts {
  int64_t assets = 0;
  int64_t assets_done = 0;
  int64_t assets_failed = 0;
  int64_t tasks_running = 0;
  int64_t tasks_ready = 0;
};

class Scheduler {
 public:
  // Every asset's first segment starts ready. max_attempts >= 1.
  Scheduler(WorkGraph graph, int max_attempts);

  const WorkGraph& graph() const { return graph_; }

  // Before the first next_task(): `task` finished in an earlier run (the ledger says so).
  // Its successor becomes ready; an assembly marks the asset done.
  void restore_done(size_t task);
  // Fails `asset` now with `reason` (e.g. a deliverable exists and may not be overwritten).
  void fail_asset(size_t asset, const std::string& reason);

  // The next task for a free group, now running; nullopt when nothing is ready (work may still
  // be running, or everything is settled).
  std::optional<size_t> next_task();
  void succeeded(size_t task);
  FailureOutcome failed(size_t task, const std::string& error);
  void interrupted(size_t task);

  TaskState task_state(size_t task) const { return tasks_[task].state; }
  // Failed attempts so far (interruptions do not count).
  int failed_attempts(size_t task) const { return tasks_[task].failures; }
  AssetState asset_state(size_t asset) const { return assets_[asset].state; }
  const std::string& asset_error(size_t asset) const { return assets_[asset].error; }

  // True when every asset is done or failed.
  bool settled() const;
  SchedulerCounts counts() const;

 private:
  // Ordered so that begin() is the task to run next.
  using ReadyKey = std::tuple<int64_t, int, size_t, int64_t, size_t>;
  ReadyKey key_of(size_t task) const;
  void make_ready(size_t task);

  struct TaskSlot {
    TaskState state = TaskState::kBlocked;
    int failures = 0;
  };
  struct AssetSlot {
    AssetState state = AssetState::kPending;
    std::string error;
  };

  WorkGraph graph_;
  int max_attempts_;
  std::vector<TaskSlot> tasks_;
  std::vector<AssetSlot> assets_;
  std::set<ReadyKey> ready_;
  int64_t running_ = 0;
};

}  // namespace motionfarm::coordinator
