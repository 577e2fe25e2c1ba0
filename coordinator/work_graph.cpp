#include "coordinator/work_graph.h"

#include <cstdio>
#include <set>

#include "core/check.h"

namespace motionfarm::coordinator {

const char* to_string(TaskKind kind) { return kind == TaskKind::kSegment ? "segment" : "assembly"; }

std::string task_name(const std::string& asset_id, TaskKind kind, int64_t segment_index) {
  if (kind == TaskKind::kAssembly) return asset_id + "/assembly";
  char index[32];
  std::snprintf(index, sizeof(index), "%03lld", static_cast<long long>(segment_index));
  return asset_id + "/segment-" + index;
}

WorkGraph::WorkGraph(std::vector<AssetWork> assets) : assets_(std::move(assets)) {
  std::set<std::string> ids;
  asset_tasks_.resize(assets_.size());
  for (size_t a = 0; a < assets_.size(); ++a) {
    const AssetWork& asset = assets_[a];
    MF_CHECK_GE(asset.segments, 1, ConfigError, "asset '" << asset.id << "' has no segment");
    MF_CHECK(ids.insert(asset.id).second, ConfigError,
             "asset id '" << asset.id << "' is used twice");
    for (int64_t k = 0; k <= asset.segments; ++k) {
      TaskNode node;
      node.asset = a;
      node.kind = k < asset.segments ? TaskKind::kSegment : TaskKind::kAssembly;
      node.segment_index = node.kind == TaskKind::kSegment ? k : -1;
      node.remaining_chain = asset.segments - k + 1;
      node.name = task_name(asset.id, node.kind, node.segment_index);
      asset_tasks_[a].push_back(tasks_.size());
      tasks_.push_back(std::move(node));
    }
  }
}

int64_t WorkGraph::predecessor(size_t task) const {
  const std::vector<size_t>& chain = asset_tasks_[tasks_[task].asset];
  return chain.front() == task ? -1 : static_cast<int64_t>(task) - 1;
}

std::vector<AssetWork> work_of_job(const Job& job) {
  std::vector<AssetWork> work;
  work.reserve(job.assets.size());
  for (const AssetSpec& asset : job.assets) {
    work.push_back({asset.id, asset.priority, static_cast<int64_t>(asset.segments.size())});
  }
  return work;
}

}  // namespace motionfarm::coordinator
