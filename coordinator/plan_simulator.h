// Discrete-event simulation of a job's work graph on a number of identical model groups.
//
// simulate_pull replays the farm: each free group asks the real Scheduler (scheduler.h) for its
// next task, and the clock jumps to the next task to finish. simulate_static_split is the
// baseline a Slurm job array gives: assets dealt round-robin to the groups up front, each group
// running its own assets in order. Both take each task's duration from the caller (the cost
// model), so tests can use durations whose optimal makespan is known.
//
// Expert phases (work_graph.h): each simulated group remembers which expert it holds; a task that
// needs another one first pays the expert load time (the cost model's DiT bytes ÷ load
// bandwidth), and the result counts the loads, so `plan` can compare phase batching
// (max_parked) against swapping experts for every asset.
#pragma once

#include <cstdint>
#include <vector>

#include "coordinator/work_graph.h"

namespace motionfarm::coordinator {

struct SimulationResult {
  double makespan_s = 0.0;    // the last task's end
  double busy_group_s = 0.0;  // sum over tasks of their duration (group-seconds of work)
  int64_t tasks = 0;
  int64_t expert_loads = 0;    // expert DiTs the groups loaded (each group starts with none)
  double expert_load_s = 0.0;  // group-seconds spent loading them (not in busy_group_s)

  // Busy group-seconds ÷ (groups × makespan); 0 for an empty job.
  double utilisation(int groups) const;
};

struct PullOptions {
  int groups = 1;                  // >= 1
  int64_t max_parked = INT64_MAX;  // the Scheduler's: resources.phase_batch × groups
  double expert_load_s = 0.0;      // a group's time to load an expert it does not hold
};

// `task_seconds[t]` is task t's duration on one group (indexed like graph.tasks()); groups >= 1.
SimulationResult simulate_pull(const WorkGraph& graph, const std::vector<double>& task_seconds,
                               int groups);
SimulationResult simulate_pull(const WorkGraph& graph, const std::vector<double>& task_seconds,
                               const PullOptions& options);
// Each group runs its assets' tasks in order, loading the expert of each phase it does not hold.
SimulationResult simulate_static_split(const WorkGraph& graph,
                                       const std::vector<double>& task_seconds, int groups,
                                       double expert_load_s = 0.0);

// max(total work ÷ groups, the longest asset chain): no schedule on `groups` groups beats it.
double makespan_lower_bound(const WorkGraph& graph, const std::vector<double>& task_seconds,
                            int groups);

}  // namespace motionfarm::coordinator
