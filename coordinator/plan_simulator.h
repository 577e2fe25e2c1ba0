// Discrete-event simulation of a job's work graph on a number of identical model groups.
//
// simulate_pull replays the farm: each free group asks the real Scheduler (scheduler.h) for its
// next task, and the clock jumps to the next task to finish. simulate_static_split is the
// baseline a Slurm job array gives: assets dealt round-robin to the groups up front, each group
// running its own assets in order. Both take each task's duration from the caller (the cost
// model), so tests can use durations whose optimal makespan is known.
#pragma once

#include <cstdint>
#include <vector>

#include "coordinator/work_graph.h"

namespace motionfarm::coordinator {

struct SimulationResult {
  double makespan_s = 0.0;    // the last task's end
  double busy_group_s = 0.0;  // sum over tasks of their duration (group-seconds of work)
  int64_t tasks = 0;

  // Busy group-seconds ÷ (groups × makespan); 0 for an empty job.
  double utilisation(int groups) const;
};

// `task_seconds[t]` is task t's duration on one group (indexed like graph.tasks()); groups >= 1.
SimulationResult simulate_pull(const WorkGraph& graph, const std::vector<double>& task_seconds,
                               int groups);
SimulationResult simulate_static_split(const WorkGraph& graph,
                                       const std::vector<double>& task_seconds, int groups);

// max(total work ÷ groups, the longest asset chain): no schedule on `groups` groups beats it.
double makespan_lower_bound(const WorkGraph& graph, const std::vector<double>& task_seconds,
                            int groups);

}  // namespace motionfarm::coordinator
