#include "coordinator/plan_simulator.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <queue>
#include <tuple>
#include <utility>

#include "coordinator/scheduler.h"
#include "core/check.h"
#include "core/error.h"

namespace motionfarm::coordinator {

namespace {

void check_inputs(const WorkGraph& graph, const std::vector<double>& task_seconds, int groups) {
  MF_CHECK_GE(groups, 1, ConfigError, "the simulation needs at least one model group");
  MF_CHECK_EQ(task_seconds.size(), graph.tasks().size(), Error,
              "one duration per task of the work graph");
}

}  // namespace

double SimulationResult::utilisation(int groups) const {
  if (makespan_s <= 0.0 || groups <= 0) return 0.0;
  return busy_group_s / (static_cast<double>(groups) * makespan_s);
}

SimulationResult simulate_pull(const WorkGraph& graph, const std::vector<double>& task_seconds,
                               int groups) {
  check_inputs(graph, task_seconds, groups);
  // The scheduler owns its graph; the copy is the price of replaying the real code unchanged.
  Scheduler scheduler(graph, 1);
  // (finish time, task): the earliest finish on top. Ties finish in task order, so the replay is
  // deterministic.
  using Event = std::pair<double, size_t>;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> running;
  SimulationResult result;
  int free_groups = groups;
  double now = 0.0;
  for (;;) {
    while (free_groups > 0) {
      const std::optional<size_t> task = scheduler.next_task();
      if (!task) break;
      running.emplace(now + task_seconds[*task], *task);
      result.busy_group_s += task_seconds[*task];
      ++result.tasks;
      --free_groups;
    }
    if (running.empty()) break;
    // Every task finishing at this instant reports before the freed groups ask again, as the
    // coordinator handles the messages that arrived together.
    now = running.top().first;
    while (!running.empty() && running.top().first <= now) {
      scheduler.succeeded(running.top().second);
      running.pop();
      ++free_groups;
    }
  }
  MF_CHECK(scheduler.settled(), Error, "the simulation stopped with tasks left");
  result.makespan_s = now;
  return result;
}

SimulationResult simulate_static_split(const WorkGraph& graph,
                                       const std::vector<double>& task_seconds, int groups) {
  check_inputs(graph, task_seconds, groups);
  std::vector<double> group_end(static_cast<size_t>(groups), 0.0);
  SimulationResult result;
  for (size_t asset = 0; asset < graph.assets().size(); ++asset) {
    double& end = group_end[asset % static_cast<size_t>(groups)];
    for (size_t task : graph.asset_tasks(asset)) {
      end += task_seconds[task];
      result.busy_group_s += task_seconds[task];
      ++result.tasks;
    }
  }
  result.makespan_s = *std::max_element(group_end.begin(), group_end.end());
  return result;
}

double makespan_lower_bound(const WorkGraph& graph, const std::vector<double>& task_seconds,
                            int groups) {
  check_inputs(graph, task_seconds, groups);
  double total = 0.0;
  double longest_chain = 0.0;
  for (size_t asset = 0; asset < graph.assets().size(); ++asset) {
    double chain = 0.0;
    for (size_t task : graph.asset_tasks(asset)) chain += task_seconds[task];
    total += chain;
    longest_chain = std::max(longest_chain, chain);
  }
  return std::max(total / groups, longest_chain);
}

}  // namespace motionfarm::coordinator
