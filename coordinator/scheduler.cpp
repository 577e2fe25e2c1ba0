#include "coordinator/scheduler.h"

#include "core/check.h"

#include <utility>

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

Scheduler::Scheduler(WorkGraph graph, int max_attempts, int64_t max_parked,
                     std::vector<std::vector<size_t>> batches)
    : graph_(std::move(graph)), max_attempts_(max_attempts), max_parked_(max_parked) {
  MF_CHECK_GE(max_attempts, 1, ConfigError, "max_attempts must be at least 1");
  MF_CHECK_GE(max_parked, 1, ConfigError, "at least one asset must be allowed to park");
  tasks_.resize(graph_.tasks().size());
  assets_.resize(graph_.assets().size());
  assign_batches(std::move(batches));
  for (size_t a = 0; a < assets_.size(); ++a) make_ready(graph_.asset_tasks(a).front());
}

void Scheduler::set_batches(std::vector<std::vector<size_t>> batches) {
  MF_CHECK_EQ(running_, 0, Error, "set_batches after scheduling started");
  assign_batches(std::move(batches));
  for (size_t task = 0; task < tasks_.size(); ++task) {
    TaskSlot& slot = tasks_[task];
    if (slot.state != TaskState::kReady) continue;
    if (slot.held) {  // offered again, then held again below if the new batches say so
      slot.held = false;
      ready_[bucket_of(task)].insert(key_of(task));
      ++ready_count_;
    }
    if (batch_of_task(task) >= 0 && mate_behind(task)) {
      remove_ready(task);
      slot.held = true;
    }
  }
}

void Scheduler::assign_batches(std::vector<std::vector<size_t>> batches) {
  batches_ = std::move(batches);
  batch_of_asset_.assign(assets_.size(), -1);
  batch_limit_.clear();
  for (size_t b = 0; b < batches_.size(); ++b) {
    const std::vector<size_t>& members = batches_[b];
    for (size_t a : members) {
      MF_CHECK(a < assets_.size() && batch_of_asset_[a] < 0, ConfigError,
               "batch " << b << " names an asset that is unknown or already in a batch");
      MF_CHECK_EQ(graph_.asset_tasks(a).size(), graph_.asset_tasks(members.front()).size(),
                  ConfigError, "the members of a batch must have chains of the same tasks");
      batch_of_asset_[a] = static_cast<int64_t>(b);
    }
    batch_limit_.push_back(static_cast<int64_t>(members.size()));
  }
}

Scheduler::ReadyKey Scheduler::key_of(size_t task) const {
  const TaskNode& node = graph_.tasks()[task];
  // std::set orders ascending: negate what should come first when larger.
  return {-node.remaining_chain, -graph_.assets()[node.asset].priority, node.asset,
          node.segment_index < 0 ? INT64_MAX : node.segment_index, task};
}

Scheduler::Bucket Scheduler::bucket_of(size_t task) const {
  const TaskNode& node = graph_.tasks()[task];
  return {node.expert, node.parks_asset()};
}

void Scheduler::make_ready(size_t task) {
  tasks_[task].state = TaskState::kReady;
  const int64_t batch = batch_of_task(task);
  if (batch >= 0 && mate_behind(task)) {
    tasks_[task].held = true;
  } else {
    ready_[bucket_of(task)].insert(key_of(task));
    ++ready_count_;
  }
  // This asset caught up: batch-mates held for it may go.
  if (batch >= 0) release_held(batch);
}

int64_t Scheduler::batch_of_task(size_t task) const {
  const TaskNode& node = graph_.tasks()[task];
  if (node.kind != TaskKind::kSegment) return -1;  // assemblies run alone
  const int64_t batch = batch_of_asset_[node.asset];
  return batch >= 0 && batches_[static_cast<size_t>(batch)].size() > 1 ? batch : -1;
}

bool Scheduler::mate_behind(size_t task) const {
  const TaskNode& node = graph_.tasks()[task];
  const size_t place = task - graph_.asset_tasks(node.asset).front();
  const auto batch = static_cast<size_t>(batch_of_asset_[node.asset]);
  // A mate still running this place (its report not in yet: a batch ends with one report per
  // member) is waited for too, so a requeued batch forms again whole; unless the batch was split
  // for memory, whose halves run this place one after another.
  const bool whole = batch_limit_[batch] >= static_cast<int64_t>(batches_[batch].size());
  for (size_t mate : batches_[batch]) {
    if (mate == node.asset || assets_[mate].state != AssetState::kPending) continue;
    const std::vector<size_t>& chain = graph_.asset_tasks(mate);
    if (place >= chain.size()) continue;
    const TaskState state = tasks_[chain[place]].state;
    if (state == TaskState::kBlocked || (whole && state == TaskState::kRunning)) return true;
  }
  return false;
}

void Scheduler::release_held(int64_t batch) {
  for (size_t mate : batches_[static_cast<size_t>(batch)]) {
    for (size_t task : graph_.asset_tasks(mate)) {
      TaskSlot& slot = tasks_[task];
      if (!slot.held || mate_behind(task)) continue;
      slot.held = false;
      ready_[bucket_of(task)].insert(key_of(task));
      ++ready_count_;
    }
  }
}

std::vector<size_t> Scheduler::next_tasks(int64_t loaded) {
  const std::optional<size_t> chosen = next_task(loaded);
  if (!chosen) return {};
  const int64_t batch = batch_of_task(*chosen);
  if (batch < 0) return {*chosen};
  const TaskNode& node = graph_.tasks()[*chosen];
  const size_t place = *chosen - graph_.asset_tasks(node.asset).front();
  std::vector<size_t> tasks;
  int64_t taken = 1;  // the chosen task
  for (size_t mate : batches_[static_cast<size_t>(batch)]) {
    const size_t task = graph_.asset_tasks(mate)[place];
    if (task == *chosen) {
      tasks.push_back(task);
      continue;
    }
    const TaskSlot& slot = tasks_[task];
    if (taken >= batch_limit_[static_cast<size_t>(batch)] || slot.state != TaskState::kReady ||
        slot.held || assets_[mate].state != AssetState::kPending) {
      continue;
    }
    remove_ready(task);
    tasks_[task].state = TaskState::kRunning;
    ++running_;
    update_parked(mate);
    tasks.push_back(task);
    ++taken;
  }
  return tasks;
}

bool Scheduler::shrink_batch(size_t task) {
  const TaskNode& node = graph_.tasks()[task];
  const int64_t batch = batch_of_asset_[node.asset];
  if (batch < 0) return false;
  int64_t& limit = batch_limit_[static_cast<size_t>(batch)];
  if (limit <= 1) return false;
  limit = (limit + 1) / 2;  // 4 -> 2 -> 1, 3 -> 2 -> 1
  return true;
}

int64_t Scheduler::batch_limit(size_t task) const {
  const int64_t batch = batch_of_asset_[graph_.tasks()[task].asset];
  return batch < 0 ? 1 : batch_limit_[static_cast<size_t>(batch)];
}

void Scheduler::remove_ready(size_t task) {
  const auto bucket = ready_.find(bucket_of(task));
  if (bucket == ready_.end() || bucket->second.erase(key_of(task)) == 0) return;
  --ready_count_;
  if (bucket->second.empty()) ready_.erase(bucket);
}

std::optional<Scheduler::ReadyKey> Scheduler::best_for(int64_t expert) const {
  std::optional<ReadyKey> best;
  for (const bool parks : {false, true}) {
    // A phase that would park one more asset waits while the batch of parked assets is full.
    if (parks && parked_ >= max_parked_) continue;
    const auto bucket = ready_.find({expert, parks});
    if (bucket == ready_.end()) continue;
    const ReadyKey& first = *bucket->second.begin();
    if (!best || first < *best) best = first;
  }
  return best;
}

void Scheduler::set_parked(size_t asset, bool parked) {
  AssetSlot& slot = assets_[asset];
  if (slot.parked == parked) return;
  slot.parked = parked;
  parked_ += parked ? 1 : -1;
}

// Parked: the asset's next unfinished task is a later phase of a segment whose earlier phase is
// done, or a first phase is running (it will park the asset when it finishes).
void Scheduler::update_parked(size_t asset) {
  bool parked = false;
  if (assets_[asset].state == AssetState::kPending) {
    for (size_t task : graph_.asset_tasks(asset)) {
      const TaskState state = tasks_[task].state;
      if (state == TaskState::kDone) continue;
      const TaskNode& node = graph_.tasks()[task];
      parked = node.phase_index > 0 || (node.parks_asset() && state == TaskState::kRunning);
      break;
    }
  }
  set_parked(asset, parked);
}

void Scheduler::restore_done(size_t task) {
  TaskSlot& slot = tasks_[task];
  if (slot.state == TaskState::kDone) return;
  if (slot.state == TaskState::kReady) remove_ready(task);
  MF_CHECK(slot.state != TaskState::kRunning, Error, "restore_done after scheduling started");
  slot.state = TaskState::kDone;
  slot.held = false;
  const TaskNode& node = graph_.tasks()[task];
  const std::vector<size_t>& chain = graph_.asset_tasks(node.asset);
  if (task == chain.back()) {
    assets_[node.asset].state = AssetState::kDone;
  } else if (tasks_[task + 1].state == TaskState::kBlocked) {
    make_ready(task + 1);
  }
  update_parked(node.asset);
}

void Scheduler::fail_asset(size_t asset, const std::string& reason) {
  AssetSlot& slot = assets_[asset];
  if (slot.state != AssetState::kPending) return;
  slot.state = AssetState::kFailed;
  slot.error = reason;
  for (size_t task : graph_.asset_tasks(asset)) {
    TaskSlot& t = tasks_[task];
    if (t.state == TaskState::kReady) remove_ready(task);
    if (t.state == TaskState::kRunning) --running_;
    if (t.state != TaskState::kDone) t.state = TaskState::kDropped;
    t.held = false;
  }
  update_parked(asset);
  // A failed asset no longer holds its batch-mates back.
  if (batch_of_asset_[asset] >= 0) release_held(batch_of_asset_[asset]);
}

std::optional<size_t> Scheduler::next_task(int64_t loaded) {
  // The group's own expert (and tasks needing none) first; a group holding no expert, or one
  // none of whose tasks may run, takes the best task of any expert.
  std::optional<ReadyKey> choice = best_for(kNoExpert);
  if (loaded != kNoExpert) {
    const std::optional<ReadyKey> own = best_for(loaded);
    if (own && (!choice || *own < *choice)) choice = own;
  }
  if (!choice || loaded == kNoExpert) {
    for (const auto& entry : ready_) {
      const int64_t expert = entry.first.first;
      if (expert == kNoExpert || expert == loaded) continue;
      const std::optional<ReadyKey> other = best_for(expert);
      if (other && (!choice || *other < *choice)) choice = other;
    }
  }
  if (!choice) return std::nullopt;
  const size_t task = std::get<4>(*choice);
  remove_ready(task);
  tasks_[task].state = TaskState::kRunning;
  ++running_;
  update_parked(graph_.tasks()[task].asset);
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
  update_parked(node.asset);
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
  update_parked(graph_.tasks()[task].asset);
  return FailureOutcome::kRetry;
}

void Scheduler::interrupted(size_t task) {
  TaskSlot& slot = tasks_[task];
  if (slot.state != TaskState::kRunning) return;  // its asset was failed meanwhile
  --running_;
  make_ready(task);
  update_parked(graph_.tasks()[task].asset);
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
  counts.tasks_ready = ready_count_;
  counts.assets_parked = parked_;
  return counts;
}

}  // namespace motionfarm::coordinator
