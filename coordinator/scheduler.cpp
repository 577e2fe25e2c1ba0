#include "coordinator/scheduler.h"

#include "core/check.h"

namespace motionfarm::coordinator {

const char* to_string(TaskState state) {
  switch (state) {
    case TaskState::kBlocked:
      return "blocked";
    case TaskState::kReady:
      return "ready";
    case TaskState::kRunning:
      return "running";
    case TaskState::kDone:
      return "done";
    case TaskState::kDropped:
      return "dropped";
  }
  return "?";
}

const char* to_string(AssetState state) {
  switch (state) {
    case AssetState::kPending:
      return "pending";
    case AssetState::kDone:
      return "done";
    case AssetState::kFailed:
      return "failed";
  }
  return "?";
}

Scheduler::Scheduler(WorkGraph graph, int max_attempts)
    : graph_(std::move(graph)), max_attempts_(max_attempts) {
  MF_CHECK_GE(max_attempts, 1, ConfigError, "max_attempts must be at least 1");
  tasks_.resize(graph_.tasks().size());
  assets_.resize(graph_.assets().size());
  for (size_t a = 0; a < assets_.size(); ++a) make_ready(graph_.asset_tasks(a).front());
}

Scheduler::ReadyKey Scheduler::key_of(size_t task) const {
  const TaskNode& node = graph_.tasks()[task];
  // std::set orders ascending: negate what should come first when larger.
  return {-node.remaining_chain, -graph_.assets()[node.asset].priority, node.asset,
          node.segment_index < 0 ? INT64_MAX : node.segment_index, task};
}

void Scheduler::make_ready(size_t task) {
  tasks_[task].state = TaskState::kReady;
  ready_.insert(key_of(task));
}

void Scheduler::restore_done(size_t task) {
  TaskSlot& slot = tasks_[task];
  if (slot.state == TaskState::kDone) return;
  if (slot.state == TaskState::kReady) ready_.erase(key_of(task));
  MF_CHECK(slot.state != TaskState::kRunning, Error, "restore_done after scheduling started");
  slot.state = TaskState::kDone;
  const TaskNode& node = graph_.tasks()[task];
  const std::vector<size_t>& chain = graph_.asset_tasks(node.asset);
  if (task == chain.back()) {
    assets_[node.asset].state = AssetState::kDone;
    return;
  }
  if (tasks_[task + 1].state == TaskState::kBlocked) make_ready(task + 1);
}

void Scheduler::fail_asset(size_t asset, const std::string& reason) {
  AssetSlot& slot = assets_[asset];
  if (slot.state != AssetState::kPending) return;
  slot.state = AssetState::kFailed;
  slot.error = reason;
  for (size_t task : graph_.asset_tasks(asset)) {
    TaskSlot& t = tasks_[task];
    if (t.state == TaskState::kReady) ready_.erase(key_of(task));
    if (t.state == TaskState::kRunning) --running_;
    if (t.state != TaskState::kDone) t.state = TaskState::kDropped;
  }
}

std::optional<size_t> Scheduler::next_task() {
  if (ready_.empty()) return std::nullopt;
  const size_t task = std::get<4>(*ready_.begin());
  ready_.erase(ready_.begin());
  tasks_[task].state = TaskState::kRunning;
  ++running_;
  return task;
}

void Scheduler::succeeded(size_t task) {
  TaskSlot& slot = tasks_[task];
  MF_CHECK(
      slot.state == TaskState::kRunning, Error,
      "task " << graph_.tasks()[task].name << " reported done while " << to_string(slot.state));
  slot.state = TaskState::kDone;
  --running_;
  const TaskNode& node = graph_.tasks()[task];
  if (task == graph_.asset_tasks(node.asset).back()) {
    assets_[node.asset].state = AssetState::kDone;
  } else {
    make_ready(task + 1);
  }
}

FailureOutcome Scheduler::failed(size_t task, const std::string& error) {
  TaskSlot& slot = tasks_[task];
  MF_CHECK(
      slot.state == TaskState::kRunning, Error,
      "task " << graph_.tasks()[task].name << " reported failed while " << to_string(slot.state));
  ++slot.failures;
  if (slot.failures >= max_attempts_) {
    fail_asset(graph_.tasks()[task].asset,
               graph_.tasks()[task].name + " failed " + std::to_string(slot.failures) +
                   (slot.failures == 1 ? " time" : " times") + "; last error: " + error);
    return FailureOutcome::kAssetFailed;
  }
  --running_;
  make_ready(task);
  return FailureOutcome::kRetry;
}

void Scheduler::interrupted(size_t task) {
  TaskSlot& slot = tasks_[task];
  if (slot.state != TaskState::kRunning) return;  // its asset was failed meanwhile
  --running_;
  make_ready(task);
}

bool Scheduler::settled() const {
  for (const AssetSlot& asset : assets_) {
    if (asset.state == AssetState::kPending) return false;
  }
  return true;
}

SchedulerCounts Scheduler::counts() const {
  SchedulerCounts counts;
  counts.assets = static_cast<int64_t>(assets_.size());
  for (const AssetSlot& asset : assets_) {
    counts.assets_done += asset.state == AssetState::kDone;
    counts.assets_failed += asset.state == AssetState::kFailed;
  }
  counts.tasks_running = running_;
  counts.tasks_ready = static_cast<int64_t>(ready_.size());
  return counts;
}

}  // namespace motionfarm::coordinator
