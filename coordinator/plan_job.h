// `motionfarm plan`: a job's predicted makespan on a cluster, from the cost model
// (plan_cost_model.h) and a replay of the real scheduler (plan_simulator.h). docs/planning.md.
//
// Every model group of the simulated farm has the same layout: the manifest's, the one asked
// for, or (auto) the candidate whose simulated makespan is shortest. Per asset class (same
// resolution and frames) it also recommends the layout that costs that class the fewest
// GPU-hours without making one asset outlast the job. For a preset with experts (Wan2.2 A14B)
// the simulation charges every expert swap and reports the makespan and expert loads with the
// manifest's phase batching and without it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/manifest.h"
#include "coordinator/plan_gpu_table.h"
#include "coordinator/plan_simulator.h"
#include "parallel/parallel_layout.h"

namespace motionfarm::coordinator {

struct PlanRequest {
  int nodes = 1;
  int gpus_per_node = 8;
  std::string gpu = "H100";
  double hours = 0.0;  // the booking; 0: no limit to check
  // The layout of every group; nullopt: the manifest's, or auto when the manifest says auto.
  std::optional<parallel::ParallelLayout> layout;
  bool force_auto = false;  // `--layout auto`: search even when the manifest names a layout

  // Throws ConfigError naming the bad field.
  void validate() const;
  int gpus() const { return nodes * gpus_per_node; }
};

struct AssetClassPlan {
  int64_t width = 0;
  int64_t height = 0;
  int64_t frames = 0;    // total frames of the clip
  int64_t segments = 0;  // of its first asset
  int64_t assets = 0;
  parallel::ParallelLayout layout;  // recommended: fewest GPU-hours without outlasting the job
  double asset_seconds = 0.0;       // one asset at that layout, wall clock
  double asset_gpu_seconds = 0.0;
  parallel::ParallelLayout fastest;  // shortest wall clock per asset
  double fastest_seconds = 0.0;

  std::string name() const;  // "1280x720, 161 frames"
};

struct PlanResult {
  PlanRequest request;
  std::string gpu;  // the table's name for it
  parallel::ParallelLayout layout;
  bool layout_searched = false;
  int groups = 0;
  int64_t assets = 0;
  SimulationResult pull;   // the farm's scheduler
  SimulationResult split;  // the static round-robin split
  // Presets with experts: the load each swap costs, the manifest's resources.phase_batch (used
  // by `pull`) and the same farm swapping experts for every asset (phase_batch 1).
  bool experts = false;
  int phase_batch = 0;
  double expert_load_s = 0.0;
  SimulationResult unbatched;
  double lower_bound_s = 0.0;
  double longest_chain_s = 0.0;  // the longest asset at its fastest layout
  std::vector<AssetClassPlan> classes;

  double gpu_hours() const;  // the GPUs booked for the makespan
  double utilisation() const { return pull.utilisation(groups); }
  double ratio() const { return lower_bound_s > 0 ? pull.makespan_s / lower_bound_s : 1.0; }
  double split_ratio() const { return lower_bound_s > 0 ? split.makespan_s / lower_bound_s : 1.0; }
  bool fits() const { return request.hours <= 0 || pull.makespan_s <= request.hours * 3600.0; }
};

// Throws ConfigError when no layout can run the model on this cluster (or the given one cannot).
PlanResult plan_job(const Job& job, const GpuTable& gpus, const PlanRequest& request);

// The human table `motionfarm plan` prints.
std::string format_plan(const PlanResult& plan);

}  // namespace motionfarm::coordinator
