// The planner's cost model: the FLOP and byte formulas on hand-checked numbers, and the shipped
// GPU table.
#include "coordinator/plan_cost_model.h"

#include <gtest/gtest.h>

#include "coordinator/manifest_model_facts.h"
#include "coordinator/plan_gpu_table.h"
#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

DitCostFacts small_model() {
  DitCostFacts model;
  model.parameters = 1000;
  model.num_layers = 2;
  model.dim = 8;
  model.num_heads = 2;
  model.ffn_dim = 16;
  model.context_tokens = 5;
  return model;
}

TEST(PlanCostModel, ForwardFlopsAreLinearPlusQuadraticAttention) {
  // 2·P·N + 4·N²·d·L + 4·N·C·d·L with P=1000, N=10, d=8, L=2, C=5.
  EXPECT_DOUBLE_EQ(dit_forward_flops(small_model(), 10), 20000.0 + 6400.0 + 3200.0);
  // Attention grows with the square: at 1000 tokens it dominates the linear part.
  const double big = dit_forward_flops(small_model(), 1000);
  EXPECT_GT(big, 2.0 * 2.0 * 1000 * 1000);
}

TEST(PlanCostModel, SegmentTokensFollowTheModelStrides) {
  DitCostFacts model = small_model();
  // 81 frames → 21 latent frames; 832×480 → 52×30 tokens per latent frame.
  EXPECT_EQ(segment_tokens(model, 832, 480, 81), 21 * 30 * 52);
}

TEST(PlanCostModel, TrafficIsZeroOnOneGpuAndCrossesNodesOnlyWhenTheGroupDoes) {
  const DitCostFacts model = small_model();
  const ForwardTraffic single = forward_traffic(model, 64, parallel::ParallelLayout{}, 8);
  EXPECT_EQ(single.intra_node_bytes + single.inter_node_bytes, 0.0);
  // Ulysses 4: 4 · (N/P) · d · (P−1) values per layer, bf16, 2 layers.
  const parallel::ParallelLayout ulysses{1, 1, 4, 1};
  const ForwardTraffic inside = forward_traffic(model, 64, ulysses, 8);
  EXPECT_DOUBLE_EQ(inside.intra_node_bytes, 4.0 * 16 * 8 * 3 * 2 * 2);
  EXPECT_EQ(inside.inter_node_bytes, 0.0);
  const ForwardTraffic across = forward_traffic(model, 64, ulysses, 2);
  EXPECT_DOUBLE_EQ(across.inter_node_bytes, inside.intra_node_bytes);
  // Ring 2 after tp 2: K and V once round, 2 · (N/R) · (d/T) · (R−1); tp's 3 all-reduces of
  // (N/R)·d values, 2·(T−1)/T of them sent.
  const ForwardTraffic mixed = forward_traffic(model, 64, {1, 2, 1, 2}, 8);
  EXPECT_DOUBLE_EQ(mixed.intra_node_bytes, (2.0 * 32 * 4 * 1 + 3.0 * 1.0 * 32 * 8) * 2 * 2);
}

TEST(PlanCostModel, ShippedGpuTableKnowsTheFiveKinds) {
  const GpuTable table = load_default_gpu_table();
  for (const char* kind : {"H100", "H200", "A100", "L40S", "CPU"}) {
    EXPECT_GT(table.at(kind).sustained_flops(), 0.0) << kind;
  }
  EXPECT_EQ(table.at("h100").name, "H100");
  EXPECT_GT(table.at("H100").sustained_flops(), table.at("A100").sustained_flops());
  try {
    table.at("TPU");
    FAIL() << "an unknown GPU kind was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("L40S"), std::string::npos) << error.what();
  }
}

TEST(PlanCostModel, CfgSplitHalvesTheSamplingTimeAndTheWeightsMustFit) {
  const GpuTable table = load_default_gpu_table();
  const DitCostFacts model = dit_cost_facts(model_facts_for_preset("wan2.1-i2v-14b"));
  EXPECT_GT(model.parameters, 13'000'000'000);
  const TaskCostModel cost(model, {table.at("H100"), table.infiniband_gb_s, 8});
  AssetSpec asset;
  asset.id = "a";
  asset.width = 832;
  asset.height = 480;
  asset.total_frames = 81;
  asset.sampler.steps = 40;
  asset.sampler.guidance = 5.0;
  asset.segments = {SegmentPlan{0, 81, 0, 0, 81}};
  const double one = cost.segment_seconds(asset, 0, {1, 1, 1, 1});
  const double two = cost.segment_seconds(asset, 0, {2, 1, 1, 1});
  EXPECT_NEAR(two / one, 0.5, 0.02);
  asset.sampler.guidance = 1.0;
  EXPECT_NEAR(cost.segment_seconds(asset, 0, {1, 1, 1, 1}) / one, 0.5, 0.02);
  // 14B bf16 weights (~26 GiB) fit an 80 GiB H100 whole, and a 48 GiB L40S once split over tp=2.
  EXPECT_TRUE(cost.fits_memory({1, 1, 1, 1}));
  const TaskCostModel l40s_cost(model, {table.at("L40S"), table.infiniband_gb_s, 8});
  EXPECT_TRUE(l40s_cost.fits_memory({1, 2, 1, 1}));
}

}  // namespace
}  // namespace motionfarm::coordinator
