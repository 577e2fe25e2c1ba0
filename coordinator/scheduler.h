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
//
// Expert phases (work_graph.h): a group says which expert it holds when it asks. Among the ready
// tasks it may run, those that need its expert (or none: assemblies) come first, in the order
// above; only when none of them may run does it get the best other one, and swaps. Phase batching
// bounds the parked assets (a first phase running or done, the segment's next phase not done yet)
// to `max_parked`: a first phase may not start while that many are parked, so a group holding the
// high-noise expert runs high phases until the batch is full, then swaps and drains the low
// phases. With N one-segment assets, one group and max_parked = b, that is at most ⌈N / b⌉ × 2
// expert loads; any group holding the low-noise expert takes the parked assets' low phases.
//
// Batches (farm batching, coordinator/batch_plan.h): assets with one batch key sample their
// segments together, one forward per step. A batched asset's segment task waits (held, not yet
// offered) until every live batch-mate has reached the same place of its chain, and next_tasks()
// hands out the task together with its ready batch-mates, so a batch always runs with the same
// members — a rerun forms the same batches, and each member's latents stay bitwise those of an
// uninterrupted run. A member whose asset failed no longer holds the others back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
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
  int64_t assets_parked = 0;  // between two expert phases of a segment
};

// No expert: a group that holds none, or a task that needs none.
inline constexpr int64_t kNoExpert = -1;

class Scheduler {
 public:
  // Every asset's first segment starts ready. max_attempts >= 1; max_parked >= 1 (only graphs
  // with expert phases park assets). `batches`: the assets (indices) of each batch, in the order
  // a batch lists its members; every member's chain has the same tasks (one batch key); an asset
  // in none runs alone.
  Scheduler(WorkGraph graph, int max_attempts, int64_t max_parked = INT64_MAX,
            std::vector<std::vector<size_t>> batches = {});

  const WorkGraph& graph() const { return graph_; }

  // Before the first next_task() (after restore_done, say): the batches, as the constructor's
  // `batches`, replacing any given before.
  void set_batches(std::vector<std::vector<size_t>> batches);

  // Before the first next_task(): `task` finished in an earlier run (the ledger says so).
  // Its successor becomes ready; an assembly marks the asset done.
  void restore_done(size_t task);
  // Fails `asset` now with `reason` (e.g. a deliverable exists and may not be overwritten).
  void fail_asset(size_t asset, const std::string& reason);

  // The next task for a free group that holds expert `loaded` (kNoExpert: none), now running;
  // nullopt when nothing may run (work may still be running, or everything is settled).
  std::optional<size_t> next_task(int64_t loaded = kNoExpert);
  // next_task() and, when that is a batched asset's segment task, its batch-mates' tasks at the
  // same place that are ready (at most the batch's limit in all), all running now, in the batch's
  // member order. Empty when nothing may run.
  std::vector<size_t> next_tasks(int64_t loaded = kNoExpert);
  // A batch that ran out of memory: at most half as many of its members run together from now
  // on. False when `task`'s batch already runs one at a time (or it has none).
  bool shrink_batch(size_t task);
  // The most members of `task`'s batch that run together (1 for an asset in no batch).
  int64_t batch_limit(size_t task) const;
  void succeeded(size_t task);
  FailureOutcome failed(size_t task, const std::string& error);
  // Back to the ready set without using up an attempt: the task was stopped (a pre-emption, a
  // killed run) or not run because a batch-mate failed.
  void interrupted(size_t task);

  TaskState task_state(size_t task) const { return tasks_[task].state; }
  // Failed attempts so far (interruptions do not count).
  int failed_attempts(size_t task) const { return tasks_[task].failures; }
  AssetState asset_state(size_t asset) const { return assets_[asset].state; }
  const std::string& asset_error(size_t asset) const { return assets_[asset].error; }

  // True when every asset is done or failed.
  bool settled() const;
  SchedulerCounts counts() const;
  bool parked(size_t asset) const { return assets_[asset].parked; }

 private:
  // Ordered so that begin() is the task to run next.
  using ReadyKey = std::tuple<int64_t, int, size_t, int64_t, size_t>;
  // The ready tasks are kept apart by the expert they need and whether they would park their
  // asset, so each choice is a few set lookups however many tasks are waiting.
  using Bucket = std::pair<int64_t, bool>;
  ReadyKey key_of(size_t task) const;
  Bucket bucket_of(size_t task) const;
  void make_ready(size_t task);
  void remove_ready(size_t task);
  // The best ready task needing `expert` that may start now; nullopt when none.
  std::optional<ReadyKey> best_for(int64_t expert) const;
  void set_parked(size_t asset, bool parked);
  void assign_batches(std::vector<std::vector<size_t>> batches);
  // Batches: the batch of `task`'s asset when `task` is a segment task of a batched asset (-1
  // otherwise), and whether a live batch-mate is still behind `task`'s place in its chain.
  int64_t batch_of_task(size_t task) const;
  bool mate_behind(size_t task) const;
  // Offers the held tasks of `batch` whose batch-mates have all caught up.
  void release_held(int64_t batch);
  void update_parked(size_t asset);

  struct TaskSlot {
    TaskState state = TaskState::kBlocked;
    int failures = 0;
    bool held = false;  // ready, but not offered until its batch-mates catch up
  };
  struct AssetSlot {
    AssetState state = AssetState::kPending;
    std::string error;
    bool parked = false;
  };

  WorkGraph graph_;
  int max_attempts_;
  int64_t max_parked_;
  std::vector<TaskSlot> tasks_;
  std::vector<AssetSlot> assets_;
  std::map<Bucket, std::set<ReadyKey>> ready_;
  int64_t ready_count_ = 0;
  int64_t running_ = 0;
  int64_t parked_ = 0;
  std::vector<std::vector<size_t>> batches_;
  std::vector<int64_t> batch_of_asset_;  // -1: none
  std::vector<int64_t> batch_limit_;
};

}  // namespace motionfarm::coordinator
