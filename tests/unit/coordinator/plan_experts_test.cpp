// `motionfarm plan` for a two-expert preset (issue #14) on the published Wan2.2 A14B batch
// (configs/examples/wan22-a14b-batch.yaml): the simulation runs the expert phases over the real
// scheduler and charges every expert load; phase batching needs fewer loads and finishes sooner
// than swapping experts for every asset, and the plan says both.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "coordinator/manifest_reader.h"
#include "coordinator/plan_cost_model.h"
#include "coordinator/plan_job.h"
#include "coordinator/plan_simulator.h"
#include "coordinator/work_graph.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

Job a14b_batch() {
  ManifestOptions options;
  options.check_images = false;
  options.check_weights = false;
  return load_job(testing::source_dir() + "/configs/examples/wan22-a14b-batch.yaml", options);
}

TEST(PlanExperts, TheSimulationChargesALoadForEverySwap) {
  // Two one-segment assets on one group, every task 1 s, a load 10 s.
  const std::vector<ExpertFacts> experts = {{"high_noise", "high_noise_model", 0.9},
                                            {"low_noise", "low_noise_model", 0.0}};
  const WorkGraph graph(
      {{"a", 0, 1, phases_of(experts, 40, 5.0)}, {"b", 0, 1, phases_of(experts, 40, 5.0)}});
  const std::vector<double> seconds(graph.tasks().size(), 1.0);
  PullOptions batched;
  batched.max_parked = 2;
  batched.expert_load_s = 10.0;
  const SimulationResult both = simulate_pull(graph, seconds, batched);
  EXPECT_EQ(both.expert_loads, 2);  // high, high, low, low, then the assemblies
  EXPECT_DOUBLE_EQ(both.makespan_s, 6.0 + 20.0);
  EXPECT_DOUBLE_EQ(both.busy_group_s, 6.0);
  PullOptions per_asset = batched;
  per_asset.max_parked = 1;
  const SimulationResult swaps = simulate_pull(graph, seconds, per_asset);
  EXPECT_EQ(swaps.expert_loads, 4);
  EXPECT_DOUBLE_EQ(swaps.makespan_s, 6.0 + 40.0);
  // The static split swaps for every asset too.
  EXPECT_EQ(simulate_static_split(graph, seconds, 1, 10.0).expert_loads, 4);
}

TEST(PlanExperts, PhaseBatchingNeedsFewerExpertLoadsAndFinishesSooner) {
  const Job job = a14b_batch();
  ASSERT_EQ(job.assets.size(), 240u);
  ASSERT_EQ(job.model.facts.experts.size(), 2u);
  EXPECT_EQ(job.resources.phase_batch, 8);
  PlanRequest request;
  request.nodes = 4;
  request.gpus_per_node = 8;
  request.gpu = "H100";
  const PlanResult plan = plan_job(job, load_default_gpu_table(), request);
  std::cout << format_plan(plan);
  ASSERT_TRUE(plan.experts);
  // One A14B expert: ~14.3e9 parameters in bf16 at kWeightLoadGBps.
  EXPECT_GT(plan.expert_load_s, 10.0);
  EXPECT_LT(plan.expert_load_s, 20.0);
  // Swapping per asset loads both experts for each of the 240 assets' 264 segments (about two
  // loads a segment); batching 8 per group loads a small fraction of that.
  EXPECT_GE(plan.unbatched.expert_loads, 2 * 240);
  EXPECT_LT(plan.pull.expert_loads * 4, plan.unbatched.expert_loads);
  EXPECT_LT(plan.pull.makespan_s, plan.unbatched.makespan_s);
  // Same work either way: only the loads differ.
  EXPECT_NEAR(plan.pull.busy_group_s, plan.unbatched.busy_group_s, 1e-9 * plan.pull.busy_group_s);
  EXPECT_NEAR(plan.pull.expert_load_s, plan.pull.expert_loads * plan.expert_load_s, 1e-6);
  const std::string text = format_plan(plan);
  EXPECT_NE(text.find("expert loads   " + std::to_string(plan.pull.expert_loads)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unbatched"), std::string::npos) << text;
}

TEST(PlanExperts, EachSegmentIsTwoPhaseTasksAndAOneDitPlanReportsNoLoads) {
  const Job job = a14b_batch();
  PlanRequest request;
  request.nodes = 1;
  request.gpus_per_node = 8;
  request.layout = parallel::ParallelLayout{1, 1, 8, 1};
  const PlanResult plan = plan_job(job, load_default_gpu_table(), request);
  int64_t segments = 0;
  for (const AssetSpec& asset : job.assets) segments += static_cast<int64_t>(asset.segments.size());
  // A high and a low phase per segment, and one assembly per asset.
  EXPECT_EQ(plan.pull.tasks, 2 * segments + static_cast<int64_t>(job.assets.size()));

  Job plain = job;
  plain.model.facts.experts.clear();
  const PlanResult one_dit = plan_job(plain, load_default_gpu_table(), request);
  EXPECT_FALSE(one_dit.experts);
  EXPECT_EQ(one_dit.pull.expert_loads, 0);
  EXPECT_EQ(one_dit.pull.tasks, segments + static_cast<int64_t>(job.assets.size()));
  EXPECT_EQ(format_plan(one_dit).find("expert loads"), std::string::npos);
}

}  // namespace
}  // namespace motionfarm::coordinator
