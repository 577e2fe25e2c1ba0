// The work of a job as a graph of tasks: each asset is a chain of segment tasks (segment k+1
// starts from segment k's latents) followed by one assembly task (decode every segment and write
// the deliverables). No MPI, no files: the scheduler and the capacity planner both read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/manifest.h"

namespace motionfarm::coordinator {

enum class TaskKind { kSegment, kAssembly };

const char* to_string(TaskKind kind);

// What the graph needs of one asset.
struct AssetWork {
  std::string id;
  int priority = 0;
  int64_t segments = 1;  // >= 1
};

struct TaskNode {
  size_t asset = 0;  // index into WorkGraph::assets()
  TaskKind kind = TaskKind::kSegment;
  int64_t segment_index = -1;  // -1 for the assembly task
  // Tasks from this one to the end of its asset's chain, itself included: the critical path.
  int64_t remaining_chain = 1;
  std::string name;  // "<asset>/segment-000", "<asset>/assembly": ledger keys and log lines
};

class WorkGraph {
 public:
  // Throws ConfigError for an asset with no segment or an id used twice.
  explicit WorkGraph(std::vector<AssetWork> assets);

  const std::vector<AssetWork>& assets() const { return assets_; }
  const std::vector<TaskNode>& tasks() const { return tasks_; }
  // The task ids of asset `asset`: its segments in order, then its assembly.
  const std::vector<size_t>& asset_tasks(size_t asset) const { return asset_tasks_[asset]; }
  // The task that must finish before `task` may start, or -1 for an asset's first segment.
  int64_t predecessor(size_t task) const;

 private:
  std::vector<AssetWork> assets_;
  std::vector<TaskNode> tasks_;
  std::vector<std::vector<size_t>> asset_tasks_;
};

// One AssetWork per asset of `job`, in manifest order.
std::vector<AssetWork> work_of_job(const Job& job);

// "<asset>/segment-003" and "<asset>/assembly".
std::string task_name(const std::string& asset_id, TaskKind kind, int64_t segment_index);

}  // namespace motionfarm::coordinator
