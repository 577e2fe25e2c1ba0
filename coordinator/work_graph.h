// The work of a job as a graph of tasks: each asset is a chain of segment tasks (segment k+1
// starts from segment k's latents) followed by one assembly task (decode every segment and write
// the deliverables). No MPI, no files: the scheduler and the capacity planner both read it.
//
// With a mixture-of-experts preset (Wan2.2 A14B) each segment is one task per expert phase, in
// phase order: "<asset>/segment-000/high_noise" samples the segment's steps [0, switch) with the
// high-noise expert and parks the sampling state in the asset's latent store, and
// "<asset>/segment-000/low_noise" resumes there with the low-noise expert and finishes the
// segment. The chain stays a chain, so a group that holds one expert can run the first phase of
// many assets before it swaps (scheduler.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/manifest.h"

namespace motionfarm::coordinator {

enum class TaskKind { kSegment, kAssembly };

const char* to_string(TaskKind kind);

// One expert's share of every segment's sampling steps, [begin_step, end_step)
// (model::ExpertPhase for the asset's steps and shift).
struct PhaseWork {
  int64_t expert = 0;  // index into the preset's experts
  std::string name;    // the expert's name, "high_noise": the task name's last part
  int64_t begin_step = 0;
  int64_t end_step = 0;
};

// What the graph needs of one asset.
struct AssetWork {
  std::string id;
  int priority = 0;
  int64_t segments = 1;  // >= 1
  // The expert phases of each segment, in order; empty: one task per segment (one DiT). Phases
  // without steps are left out (an expert the asset's schedule never reaches).
  std::vector<PhaseWork> phases{};
};

struct TaskNode {
  size_t asset = 0;  // index into WorkGraph::assets()
  TaskKind kind = TaskKind::kSegment;
  int64_t segment_index = -1;  // -1 for the assembly task
  // Tasks from this one to the end of its asset's chain, itself included: the critical path.
  int64_t remaining_chain = 1;
  // "<asset>/segment-000", "<asset>/segment-000/high_noise", "<asset>/assembly": ledger keys and
  // log lines.
  std::string name;
  // A phase task: the expert it needs (-1: none, i.e. one-DiT segments and assemblies), the steps
  // it samples ([begin_step, end_step); end_step -1: to the end) and its place among its
  // segment's phases.
  int64_t expert = -1;
  int64_t begin_step = 0;
  int64_t end_step = -1;
  int64_t phase_index = 0;
  int64_t phase_count = 1;

  // A phase that leaves its segment unfinished: the asset's state is parked in its latent store
  // until the segment's next phase runs.
  bool parks_asset() const { return phase_index + 1 < phase_count; }
  // The task writes its segment's final latents (the last phase, or a one-DiT segment).
  bool finishes_segment() const { return kind == TaskKind::kSegment && !parks_asset(); }
};

class WorkGraph {
 public:
  // Throws ConfigError for an asset with no segment or an id used twice.
  explicit WorkGraph(std::vector<AssetWork> assets);

  const std::vector<AssetWork>& assets() const { return assets_; }
  const std::vector<TaskNode>& tasks() const { return tasks_; }
  // The task ids of asset `asset`: its segments (each phase of each) in order, then its assembly.
  const std::vector<size_t>& asset_tasks(size_t asset) const { return asset_tasks_[asset]; }
  // The task that must finish before `task` may start, or -1 for an asset's first segment.
  int64_t predecessor(size_t task) const;

 private:
  std::vector<AssetWork> assets_;
  std::vector<TaskNode> tasks_;
  std::vector<std::vector<size_t>> asset_tasks_;
};

// One AssetWork per asset of `job`, in manifest order; for a preset with experts, each asset's
// phases follow from its steps and shift (model::expert_phases).
std::vector<AssetWork> work_of_job(const Job& job);

// The expert phases of a segment sampled with `steps` and `shift` by a preset with `experts`
// (empty for none), leaving out phases without steps.
std::vector<PhaseWork> phases_of(const std::vector<ExpertFacts>& experts, int64_t steps,
                                 double shift);

// "<asset>/segment-003", "<asset>/segment-003/high_noise" (`phase` names the expert) and
// "<asset>/assembly".
std::string task_name(const std::string& asset_id, TaskKind kind, int64_t segment_index,
                      const std::string& phase = "");

}  // namespace motionfarm::coordinator
