#include "coordinator/plan_simulator.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <queue>
#include <set>
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
  PullOptions options;
  options.groups = groups;
  return simulate_pull(graph, task_seconds, options);
}

SimulationResult simulate_pull(const WorkGraph& graph, const std::vector<double>& task_seconds,
                               const PullOptions& options) {
  check_inputs(graph, task_seconds, options.groups);
  // The scheduler owns its graph; the copy is the price of replaying the real code unchanged.
  Scheduler scheduler(graph, 1, options.max_parked);
  // (finish time, task, group): the earliest finish on top. Ties finish in task order, so the
  // replay is deterministic.
  using Event = std::tuple<double, size_t, int>;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> running;
  std::vector<int64_t> loaded(static_cast<size_t>(options.groups), kNoExpert);
  std::set<int> free_groups;  // asked in group order, as the coordinator answers its queue
  for (int g = 0; g < options.groups; ++g) free_groups.insert(g);
  SimulationResult result;
  double now = 0.0;
  for (;;) {
    while (!free_groups.empty()) {
      const int group = *free_groups.begin();
      int64_t& held = loaded[static_cast<size_t>(group)];
      const std::optional<size_t> task = scheduler.next_task(held);
      if (!task) break;  // what may run does not depend on the expert held: no group gets one
      double seconds = task_seconds[*task];
      const int64_t expert = graph.tasks()[*task].expert;
      if (expert != kNoExpert && expert != held) {
        held = expert;
        seconds += options.expert_load_s;
        result.expert_load_s += options.expert_load_s;
        ++result.expert_loads;
      }
      running.emplace(now + seconds, *task, group);
      result.busy_group_s += task_seconds[*task];
      ++result.tasks;
      free_groups.erase(free_groups.begin());
    }
    if (running.empty()) break;
    // Every task finishing at this instant reports before the freed groups ask again, as the
    // coordinator handles the messages that arrived together.
    now = std::get<0>(running.top());
    while (!running.empty() && std::get<0>(running.top()) <= now) {
      scheduler.succeeded(std::get<1>(running.top()));
      free_groups.insert(std::get<2>(running.top()));
      running.pop();
    }
  }
  MF_CHECK(scheduler.settled(), Error, "the simulation stopped with tasks left");
  result.makespan_s = now;
  return result;
}

SimulationResult simulate_static_split(const WorkGraph& graph,
                                       const std::vector<double>& task_seconds, int groups,
                                       double expert_load_s) {
  check_inputs(graph, task_seconds, groups);
  std::vector<double> group_end(static_cast<size_t>(groups), 0.0);
  std::vector<int64_t> loaded(static_cast<size_t>(groups), kNoExpert);
  SimulationResult result;
  for (size_t asset = 0; asset < graph.assets().size(); ++asset) {
    const size_t group = asset % static_cast<size_t>(groups);
    double& end = group_end[group];
    for (size_t task : graph.asset_tasks(asset)) {
      const int64_t expert = graph.tasks()[task].expert;
      if (expert != kNoExpert && expert != loaded[group]) {
        loaded[group] = expert;
        end += expert_load_s;
        result.expert_load_s += expert_load_s;
        ++result.expert_loads;
      }
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
