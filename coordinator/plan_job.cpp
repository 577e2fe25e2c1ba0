#include "coordinator/plan_job.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>

#include "coordinator/plan_cost_model.h"
#include "coordinator/scheduler.h"
#include "core/check.h"
#include "core/error.h"

namespace motionfarm::coordinator {

namespace {

using parallel::ParallelLayout;

// The layouts auto considers: powers of two up to what a Wan DiT splits usefully. Larger groups
// only add communication for these sequence lengths.
std::vector<ParallelLayout> candidate_layouts(const Job& job, const TaskCostModel& cost,
                                              int world) {
  bool any_cfg = false;
  for (const AssetSpec& asset : job.assets) any_cfg = any_cfg || asset.sampler.guidance != 1.0;
  std::vector<ParallelLayout> layouts;
  for (int cfg : {1, 2}) {
    if (cfg == 2 && !any_cfg) continue;
    for (int tp : {1, 2, 4, 8}) {
      for (int ulysses : {1, 2, 4, 8}) {
        for (int ring : {1, 2, 4}) {
          const ParallelLayout layout{cfg, tp, ulysses, ring};
          if (layout.group_size() > 32) continue;
          if (!parallel::layout_problems(layout, cost.model().dims(), world).empty()) continue;
          if (!cost.fits_memory(layout)) continue;
          layouts.push_back(layout);
        }
      }
    }
  }
  return layouts;
}

// Each task's duration on one group of `layout`, indexed like graph.tasks().
std::vector<double> task_durations(const Job& job, const WorkGraph& graph,
                                   const TaskCostModel& cost, const ParallelLayout& layout) {
  std::vector<double> seconds(graph.tasks().size());
  for (size_t t = 0; t < seconds.size(); ++t) {
    const TaskNode& node = graph.tasks()[t];
    const AssetSpec& asset = job.assets[node.asset];
    if (node.kind == TaskKind::kAssembly) {
      seconds[t] = cost.assembly_seconds(asset);
    } else if (node.expert != kNoExpert) {
      seconds[t] =
          cost.phase_seconds(asset, node.segment_index, layout, node.end_step - node.begin_step);
    } else {
      seconds[t] = cost.segment_seconds(asset, node.segment_index, layout);
    }
  }
  return seconds;
}

double longest_chain(const WorkGraph& graph, const std::vector<double>& seconds) {
  double longest = 0.0;
  for (size_t asset = 0; asset < graph.assets().size(); ++asset) {
    double chain = 0.0;
    for (size_t task : graph.asset_tasks(asset)) chain += seconds[task];
    longest = std::max(longest, chain);
  }
  return longest;
}

double asset_seconds(const AssetSpec& asset, const TaskCostModel& cost,
                     const ParallelLayout& layout) {
  double seconds = cost.assembly_seconds(asset);
  for (size_t s = 0; s < asset.segments.size(); ++s) {
    seconds += cost.segment_seconds(asset, static_cast<int64_t>(s), layout);
  }
  return seconds;
}

struct Candidate {
  ParallelLayout layout;
  std::vector<double> seconds;
  double work_s = 0.0;  // group-seconds on this layout
  double chain_s = 0.0;
  double bound_s = 0.0;  // this layout's own lower bound
};

std::vector<AssetClassPlan> plan_classes(const Job& job, const TaskCostModel& cost,
                                         const std::vector<ParallelLayout>& layouts,
                                         double makespan_s) {
  std::map<std::tuple<int64_t, int64_t, int64_t>, AssetClassPlan> classes;
  std::map<std::tuple<int64_t, int64_t, int64_t>, size_t> first_asset;
  for (size_t a = 0; a < job.assets.size(); ++a) {
    const AssetSpec& asset = job.assets[a];
    const auto key = std::make_tuple(asset.height, asset.width, asset.total_frames);
    AssetClassPlan& entry = classes[key];
    if (entry.assets++ == 0) first_asset[key] = a;
  }
  std::vector<AssetClassPlan> result;
  for (auto& [key, entry] : classes) {
    const AssetSpec& asset = job.assets[first_asset[key]];
    entry.width = asset.width;
    entry.height = asset.height;
    entry.frames = asset.total_frames;
    entry.segments = static_cast<int64_t>(asset.segments.size());
    entry.fastest_seconds = std::numeric_limits<double>::infinity();
    entry.asset_gpu_seconds = std::numeric_limits<double>::infinity();
    for (const ParallelLayout& layout : layouts) {
      const double seconds = asset_seconds(asset, cost, layout);
      const double gpu_seconds = seconds * layout.group_size();
      if (seconds < entry.fastest_seconds) {
        entry.fastest_seconds = seconds;
        entry.fastest = layout;
      }
      if (seconds <= makespan_s && gpu_seconds < entry.asset_gpu_seconds) {
        entry.asset_gpu_seconds = gpu_seconds;
        entry.asset_seconds = seconds;
        entry.layout = layout;
      }
    }
    if (!(entry.asset_gpu_seconds < std::numeric_limits<double>::infinity())) {
      // No layout finishes one asset within the makespan: the fastest is the best there is.
      entry.layout = entry.fastest;
      entry.asset_seconds = entry.fastest_seconds;
      entry.asset_gpu_seconds = entry.fastest_seconds * entry.fastest.group_size();
    }
    result.push_back(entry);
  }
  return result;
}

std::string duration_text(double seconds) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f h (%.0f s)", seconds / 3600.0, seconds);
  return text;
}

}  // namespace

void PlanRequest::validate() const {
  MF_CHECK_GE(nodes, 1, ConfigError, "--nodes must be at least 1");
  MF_CHECK_GE(gpus_per_node, 1, ConfigError, "--gpus-per-node must be at least 1");
  MF_CHECK_GE(hours, 0.0, ConfigError, "--hours must not be negative");
}

std::string AssetClassPlan::name() const {
  return std::to_string(width) + "x" + std::to_string(height) + ", " + std::to_string(frames) +
         " frames";
}

double PlanResult::gpu_hours() const { return pull.makespan_s * request.gpus() / 3600.0; }

PlanResult plan_job(const Job& job, const GpuTable& gpus, const PlanRequest& request) {
  request.validate();
  MF_CHECK(!job.assets.empty(), ConfigError, "the job has no assets to plan");
  const GpuSpec& gpu = gpus.at(request.gpu);
  const TaskCostModel cost(dit_cost_facts(job.model.facts),
                           {gpu, gpus.infiniband_gb_s, request.gpus_per_node});
  const int world = request.gpus();
  const WorkGraph graph(work_of_job(job));

  std::vector<ParallelLayout> layouts = candidate_layouts(job, cost, world);
  std::optional<ParallelLayout> fixed = request.layout;
  if (!fixed && !request.force_auto) fixed = job.layout;
  MF_CHECK(fixed || !layouts.empty(), ConfigError,
           "no layout runs " << job.model.preset << " on " << world << " " << gpu.name
                             << " GPUs (the weights do not fit, or the GPU count divides no "
                                "group size): add GPUs or pick a larger GPU");
  if (fixed) {
    parallel::validate_layout(*fixed, cost.model().dims(), world);
    MF_CHECK(cost.fits_memory(*fixed), ConfigError,
             "layout " << fixed->to_string() << " leaves " << job.model.preset
                       << "'s weights too large for one " << gpu.name << ": raise tp or use auto");
  }

  // Presets with experts: each group pays a load whenever it swaps experts; resources.phase_batch
  // bounds the parked assets per group (scheduler.h).
  const bool experts = !job.model.facts.experts.empty();
  const double load_s = experts ? cost.expert_load_seconds() : 0.0;
  auto pull_options = [&](int groups, int64_t phase_batch) {
    PullOptions options;
    options.groups = groups;
    options.max_parked = phase_batch * groups;
    options.expert_load_s = load_s;
    return options;
  };

  std::vector<Candidate> candidates;
  double chain_bound = std::numeric_limits<double>::infinity();
  for (const ParallelLayout& layout : layouts) {
    Candidate candidate{layout, task_durations(job, graph, cost, layout)};
    for (double s : candidate.seconds) candidate.work_s += s;
    candidate.chain_s = longest_chain(graph, candidate.seconds);
    const int groups = world / layout.group_size();
    candidate.bound_s = std::max(candidate.work_s / groups, candidate.chain_s);
    chain_bound = std::min(chain_bound, candidate.chain_s);
    candidates.push_back(std::move(candidate));
  }
  if (fixed) {
    Candidate candidate{*fixed, task_durations(job, graph, cost, *fixed)};
    chain_bound = std::min(chain_bound, longest_chain(graph, candidate.seconds));
    candidates.clear();
    candidates.push_back(std::move(candidate));
  }

  PlanResult plan;
  plan.request = request;
  plan.gpu = gpu.name;
  plan.assets = static_cast<int64_t>(job.assets.size());
  plan.layout_searched = !fixed;
  plan.longest_chain_s = chain_bound;
  // Simulate the most promising layouts first and stop once no other can beat the best makespan.
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.bound_s < b.bound_s; });
  double best = std::numeric_limits<double>::infinity();
  for (const Candidate& candidate : candidates) {
    if (candidate.bound_s >= best) break;
    const int groups = world / candidate.layout.group_size();
    const SimulationResult pull =
        simulate_pull(graph, candidate.seconds, pull_options(groups, job.resources.phase_batch));
    if (pull.makespan_s >= best) continue;
    best = pull.makespan_s;
    plan.layout = candidate.layout;
    plan.groups = groups;
    plan.pull = pull;
    plan.split = simulate_static_split(graph, candidate.seconds, groups, load_s);
    // The same farm swapping experts for every asset: one parked asset per group.
    if (experts) plan.unbatched = simulate_pull(graph, candidate.seconds, pull_options(groups, 1));
  }
  plan.experts = experts;
  plan.phase_batch = job.resources.phase_batch;
  plan.expert_load_s = load_s;
  // Total work on the chosen layout spread over every GPU, or the longest asset at the layout
  // that finishes it soonest: no schedule of this layout does better.
  plan.lower_bound_s = std::max(plan.pull.busy_group_s / plan.groups, chain_bound);
  if (layouts.empty()) layouts.push_back(plan.layout);
  plan.classes = plan_classes(job, cost, layouts, plan.pull.makespan_s);
  return plan;
}

std::string format_plan(const PlanResult& plan) {
  std::ostringstream out;
  char line[256];
  const PlanRequest& r = plan.request;
  out << "cluster        " << r.nodes << " nodes × " << r.gpus_per_node << " " << plan.gpu << " = "
      << r.gpus() << " GPUs\n";
  out << "assets         " << plan.assets << " (" << plan.pull.tasks << " tasks)\n";
  out << "layout         " << plan.layout.to_string() << " × " << plan.groups << " groups"
      << (plan.layout_searched ? " (auto: shortest simulated makespan)" : "") << "\n";
  out << "makespan       " << duration_text(plan.pull.makespan_s) << "\n";
  out << "lower bound    " << duration_text(plan.lower_bound_s) << "\n";
  std::snprintf(line, sizeof(line), "ratio          %.3f  (makespan ÷ lower bound)\n",
                plan.ratio());
  out << line;
  std::snprintf(line, sizeof(line),
                "static split   %.3f  (%s: assets dealt round-robin up front)\n",
                plan.split_ratio(), duration_text(plan.split.makespan_s).c_str());
  out << line;
  if (plan.experts) {
    std::snprintf(line, sizeof(line),
                  "expert loads   %lld (%.0f s each: DiT bf16 weights at %.1f GB/s), phase "
                  "batching %d assets per group\n",
                  static_cast<long long>(plan.pull.expert_loads), plan.expert_load_s,
                  kWeightLoadGBps, plan.phase_batch);
    out << line;
    std::snprintf(line, sizeof(line),
                  "unbatched      %s, %lld expert loads (phase_batch 1: every group swaps experts "
                  "for each asset)\n",
                  duration_text(plan.unbatched.makespan_s).c_str(),
                  static_cast<long long>(plan.unbatched.expert_loads));
    out << line;
  }
  std::snprintf(line, sizeof(line), "GPU-hours      %.1f\n", plan.gpu_hours());
  out << line;
  std::snprintf(line, sizeof(line), "utilisation    %.1f%%\n", 100.0 * plan.utilisation());
  out << line;
  if (r.hours > 0) {
    std::snprintf(line, sizeof(line), "fits %.2f h    %s\n", r.hours,
                  plan.fits() ? "yes" : "NO: book more GPUs or hours");
    out << line;
  }
  out << "\nper asset class (recommended: fewest GPU-hours without outlasting the job)\n";
  std::snprintf(line, sizeof(line), "  %-24s %6s %4s  %-28s %10s %10s  %-28s %10s\n", "class",
                "assets", "segs", "recommended", "s/asset", "GPU-s", "fastest", "s/asset");
  out << line;
  for (const AssetClassPlan& c : plan.classes) {
    std::snprintf(line, sizeof(line), "  %-24s %6lld %4lld  %-28s %10.0f %10.0f  %-28s %10.0f\n",
                  c.name().c_str(), static_cast<long long>(c.assets),
                  static_cast<long long>(c.segments), c.layout.to_string().c_str(), c.asset_seconds,
                  c.asset_gpu_seconds, c.fastest.to_string().c_str(), c.fastest_seconds);
    out << line;
  }
  return out.str();
}

}  // namespace motionfarm::coordinator
