#include "coordinator/work_graph.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/check.h"
#include "model/expert_schedule.h"
#include "model/flow_schedule.h"

namespace motionfarm::coordinator {

const char* to_string(TaskKind kind) { return kind == TaskKind::kSegment ? "segment" : "assembly"; }

std::string task_name(const std::string& asset_id, TaskKind kind, int64_t segment_index,
                      const std::string& phase) {
  if (kind == TaskKind::kAssembly) return asset_id + "/assembly";
  char index[32];
  std::snprintf(index, sizeof(index), "%03lld", static_cast<long long>(segment_index));
  return asset_id + "/segment-" + index + (phase.empty() ? "" : "/" + phase);
}

WorkGraph::WorkGraph(std::vector<AssetWork> assets) : assets_(std::move(assets)) {
  std::set<std::string> ids;
  asset_tasks_.resize(assets_.size());
  for (size_t a = 0; a < assets_.size(); ++a) {
    const AssetWork& asset = assets_[a];
    MF_CHECK_GE(asset.segments, 1, ConfigError, "asset '" << asset.id << "' has no segment");
    MF_CHECK(ids.insert(asset.id).second, ConfigError,
             "asset id '" << asset.id << "' is used twice");
    const int64_t per_segment = std::max<int64_t>(1, static_cast<int64_t>(asset.phases.size()));
    const int64_t chain = asset.segments * per_segment + 1;
    for (int64_t k = 0; k < asset.segments; ++k) {
      for (int64_t p = 0; p < per_segment; ++p) {
        TaskNode node;
        node.asset = a;
        node.kind = TaskKind::kSegment;
        node.segment_index = k;
        node.remaining_chain = chain - static_cast<int64_t>(asset_tasks_[a].size());
        if (asset.phases.empty()) {
          node.name = task_name(asset.id, node.kind, k);
        } else {
          const PhaseWork& phase = asset.phases[static_cast<size_t>(p)];
          MF_CHECK(phase.begin_step < phase.end_step, ConfigError,
                   "asset '" << asset.id << "': expert phase '" << phase.name << "' has no steps");
          node.name = task_name(asset.id, node.kind, k, phase.name);
          node.expert = phase.expert;
          node.begin_step = phase.begin_step;
          node.end_step = phase.end_step;
          node.phase_index = p;
          node.phase_count = per_segment;
        }
        asset_tasks_[a].push_back(tasks_.size());
        tasks_.push_back(std::move(node));
      }
    }
    TaskNode assembly;
    assembly.asset = a;
    assembly.kind = TaskKind::kAssembly;
    assembly.name = task_name(asset.id, TaskKind::kAssembly, -1);
    asset_tasks_[a].push_back(tasks_.size());
    tasks_.push_back(std::move(assembly));
  }
}

int64_t WorkGraph::predecessor(size_t task) const {
  const std::vector<size_t>& chain = asset_tasks_[tasks_[task].asset];
  return chain.front() == task ? -1 : static_cast<int64_t>(task) - 1;
}

std::vector<PhaseWork> phases_of(const std::vector<ExpertFacts>& experts, int64_t steps,
                                 double shift) {
  std::vector<PhaseWork> phases;
  if (experts.empty()) return phases;
  std::vector<model::ExpertSpec> specs;
  for (const ExpertFacts& expert : experts) {
    model::ExpertSpec spec;
    spec.name = expert.name;
    spec.folder = expert.folder;
    spec.boundary = expert.boundary;
    specs.push_back(spec);
  }
  model::FlowScheduleConfig schedule;
  schedule.num_steps = steps;
  schedule.shift = shift;
  for (const model::ExpertPhase& phase :
       model::expert_phases(specs, model::FlowSchedule(schedule))) {
    if (phase.steps() == 0) continue;
    phases.push_back({phase.expert, specs[static_cast<size_t>(phase.expert)].name, phase.begin_step,
                      phase.end_step});
  }
  return phases;
}

std::vector<AssetWork> work_of_job(const Job& job) {
  std::vector<AssetWork> work;
  work.reserve(job.assets.size());
  for (const AssetSpec& asset : job.assets) {
    work.push_back({asset.id, asset.priority, static_cast<int64_t>(asset.segments.size()),
                    phases_of(job.model.facts.experts, asset.sampler.steps, asset.sampler.shift)});
  }
  return work;
}

}  // namespace motionfarm::coordinator
