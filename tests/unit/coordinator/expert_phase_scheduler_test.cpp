// Expert phases in the work graph and the scheduler (issue #14): each segment of a two-expert
// asset is a high-noise then a low-noise task; a group is given tasks of the expert it holds
// first; phase batching bounds the parked assets, which bounds the expert loads of one group to
// ⌈N / b⌉ × 2; a group holding the low-noise expert takes the parked assets' low phases.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "coordinator/scheduler.h"
#include "coordinator/work_graph.h"
#include "core/error.h"
#include "model/expert_schedule.h"
#include "model/flow_schedule.h"

namespace motionfarm::coordinator {
namespace {

constexpr int64_t kHigh = 0;
constexpr int64_t kLow = 1;

// Wan2.2 I2V A14B's experts (configs/models/wan2.2-i2v-a14b.yaml).
std::vector<ExpertFacts> a14b_experts() {
  return {{"high_noise", "high_noise_model", 0.900}, {"low_noise", "low_noise_model", 0.0}};
}

// `n` one-segment (or `segments`-segment) assets with both phases of a 40-step, shift-5 schedule.
std::vector<AssetWork> two_expert_assets(int n, int64_t segments = 1) {
  std::vector<AssetWork> work;
  for (int i = 0; i < n; ++i) {
    work.push_back({"a" + std::to_string(i), 0, segments, phases_of(a14b_experts(), 40, 5.0)});
  }
  return work;
}

std::string name_of(const Scheduler& scheduler, size_t task) {
  return scheduler.graph().tasks()[task].name;
}

// One group that runs every task it is given to completion, holding one expert at a time.
struct SerialRun {
  int64_t loads = 0;
  int64_t most_parked = 0;
  std::vector<std::string> order;
};

SerialRun run_one_group(Scheduler& scheduler) {
  SerialRun run;
  int64_t held = kNoExpert;
  while (const auto task = scheduler.next_task(held)) {
    const TaskNode& node = scheduler.graph().tasks()[*task];
    if (node.expert != kNoExpert && node.expert != held) {
      held = node.expert;
      ++run.loads;
    }
    run.most_parked = std::max(run.most_parked, scheduler.counts().assets_parked);
    run.order.push_back(node.name);
    scheduler.succeeded(*task);
  }
  EXPECT_TRUE(scheduler.settled());
  return run;
}

TEST(ExpertPhases, FollowTheExpertScheduleOfTheAssetsStepsAndShift) {
  const std::vector<PhaseWork> phases = phases_of(a14b_experts(), 40, 5.0);
  ASSERT_EQ(phases.size(), 2u);
  std::vector<model::ExpertSpec> specs(2);
  specs[0].name = "high_noise";
  specs[0].folder = "high_noise_model";
  specs[0].boundary = 0.9;
  specs[1].name = "low_noise";
  specs[1].folder = "low_noise_model";
  model::FlowScheduleConfig config;
  config.num_steps = 40;
  config.shift = 5.0;
  const int64_t switch_step = model::expert_switch_step(specs, model::FlowSchedule(config));
  ASSERT_GT(switch_step, 0);
  ASSERT_LT(switch_step, 40);
  EXPECT_EQ(phases[0].name, "high_noise");
  EXPECT_EQ(phases[0].expert, kHigh);
  EXPECT_EQ(phases[0].begin_step, 0);
  EXPECT_EQ(phases[0].end_step, switch_step);
  EXPECT_EQ(phases[1].name, "low_noise");
  EXPECT_EQ(phases[1].expert, kLow);
  EXPECT_EQ(phases[1].begin_step, switch_step);
  EXPECT_EQ(phases[1].end_step, 40);
  EXPECT_TRUE(phases_of({}, 40, 5.0).empty());
  // A schedule that never leaves the high-noise range has one phase: no empty low-noise task.
  EXPECT_EQ(phases_of({{"high_noise", "h", 0.0001}, {"low_noise", "l", 0.0}}, 4, 5.0).size(), 1u);
}

TEST(ExpertPhases, EachSegmentIsAHighThenALowTaskOfOneChain) {
  const WorkGraph graph(two_expert_assets(1, 2));
  ASSERT_EQ(graph.tasks().size(), 5u);
  const std::vector<std::string> names = {"a0/segment-000/high_noise", "a0/segment-000/low_noise",
                                          "a0/segment-001/high_noise", "a0/segment-001/low_noise",
                                          "a0/assembly"};
  for (size_t t = 0; t < names.size(); ++t) {
    const TaskNode& node = graph.tasks()[t];
    EXPECT_EQ(node.name, names[t]);
    EXPECT_EQ(node.remaining_chain, static_cast<int64_t>(names.size() - t));
    EXPECT_EQ(graph.predecessor(t), t == 0 ? -1 : static_cast<int64_t>(t) - 1);
  }
  EXPECT_EQ(graph.tasks()[0].expert, kHigh);
  EXPECT_TRUE(graph.tasks()[0].parks_asset());
  EXPECT_FALSE(graph.tasks()[0].finishes_segment());
  EXPECT_EQ(graph.tasks()[1].expert, kLow);
  EXPECT_FALSE(graph.tasks()[1].parks_asset());
  EXPECT_TRUE(graph.tasks()[1].finishes_segment());
  EXPECT_EQ(graph.tasks()[1].segment_index, 0);
  EXPECT_EQ(graph.tasks()[4].expert, kNoExpert);
  // A one-DiT asset keeps its names and needs no expert.
  const WorkGraph plain({{"p", 0, 1}});
  EXPECT_EQ(plain.tasks()[0].name, "p/segment-000");
  EXPECT_EQ(plain.tasks()[0].expert, kNoExpert);
  EXPECT_TRUE(plain.tasks()[0].finishes_segment());
}

TEST(PhaseBatching, OneGroupLoadsEachExpertAtMostOncePerBatch) {
  for (int n : {1, 2, 3, 5, 8, 13}) {
    for (int64_t batch : {1, 2, 3, 4, 8, 20}) {
      Scheduler scheduler(WorkGraph(two_expert_assets(n)), 3, batch);
      const SerialRun run = run_one_group(scheduler);
      const int64_t batches = (n + batch - 1) / batch;
      EXPECT_LE(run.loads, batches * 2) << n << " assets, batch " << batch;
      EXPECT_LE(run.most_parked, batch) << n << " assets, batch " << batch;
      EXPECT_EQ(static_cast<int64_t>(run.order.size()), 3 * n);
    }
  }
}

TEST(PhaseBatching, BatchOneSwapsForEveryAssetAndABigBatchSwapsOnce) {
  Scheduler one(WorkGraph(two_expert_assets(4)), 3, 1);
  EXPECT_EQ(run_one_group(one).loads, 8);
  Scheduler all(WorkGraph(two_expert_assets(4)), 3, 100);
  const SerialRun run = run_one_group(all);
  EXPECT_EQ(run.loads, 2);
  // Every high phase first, then every low phase and its assembly.
  EXPECT_EQ(run.order.front(), "a0/segment-000/high_noise");
  EXPECT_EQ(run.order[3], "a3/segment-000/high_noise");
  EXPECT_EQ(run.order[4], "a0/segment-000/low_noise");
}

TEST(PhaseBatching, AFullBatchMakesTheHighGroupSwapToTheParkedLowPhases) {
  Scheduler scheduler(WorkGraph(two_expert_assets(3)), 3, 2);
  const auto h0 = scheduler.next_task(kHigh);
  const auto h1 = scheduler.next_task(kHigh);
  ASSERT_TRUE(h0 && h1);
  EXPECT_EQ(name_of(scheduler, *h1), "a1/segment-000/high_noise");
  EXPECT_EQ(scheduler.counts().assets_parked, 2);  // running high phases count: they will park
  // Nothing else may run until a high phase finishes: its low phase is the next work.
  EXPECT_FALSE(scheduler.next_task(kHigh));
  scheduler.succeeded(*h0);
  EXPECT_TRUE(scheduler.parked(0));
  const auto next = scheduler.next_task(kHigh);
  ASSERT_TRUE(next);
  EXPECT_EQ(name_of(scheduler, *next), "a0/segment-000/low_noise");  // a forced swap
  scheduler.succeeded(*next);
  EXPECT_FALSE(scheduler.parked(0));
  EXPECT_EQ(scheduler.counts().assets_parked, 1);
  // A group holding the low expert prefers its own tasks (and assemblies) to a new high phase.
  const auto assembly = scheduler.next_task(kLow);
  ASSERT_TRUE(assembly);
  EXPECT_EQ(name_of(scheduler, *assembly), "a0/assembly");
  // A group holding the high expert starts the next high phase now that the batch has room.
  const auto h2 = scheduler.next_task(kHigh);
  ASSERT_TRUE(h2);
  EXPECT_EQ(name_of(scheduler, *h2), "a2/segment-000/high_noise");
}

TEST(PhaseBatching, AGroupHoldingTheLowExpertTakesTheParkedLowPhases) {
  Scheduler scheduler(WorkGraph(two_expert_assets(4)), 3, 8);
  // Group A holds the high-noise expert, group B the low-noise one.
  const auto a_first = scheduler.next_task(kHigh);
  ASSERT_TRUE(a_first);
  EXPECT_EQ(name_of(scheduler, *a_first), "a0/segment-000/high_noise");
  scheduler.succeeded(*a_first);
  const auto b_task = scheduler.next_task(kLow);
  ASSERT_TRUE(b_task);
  EXPECT_EQ(name_of(scheduler, *b_task), "a0/segment-000/low_noise");
  const auto a_second = scheduler.next_task(kHigh);
  ASSERT_TRUE(a_second);
  EXPECT_EQ(name_of(scheduler, *a_second), "a1/segment-000/high_noise");
  // With no low phase ready, the low group is not left idle: it swaps to a high phase.
  const auto b_swap = scheduler.next_task(kLow);
  ASSERT_TRUE(b_swap);
  EXPECT_EQ(name_of(scheduler, *b_swap), "a2/segment-000/high_noise");
}

TEST(PhaseBatching, TwoGroupsStayWithinTheirLoadsAndFinishEverything) {
  // Two groups, each task one time unit, the batch 2 per group: the loads stay far below the two
  // per asset a swap per asset costs.
  const int n = 12;
  Scheduler scheduler(WorkGraph(two_expert_assets(n)), 3, 2 * 2);
  int64_t held[2] = {kNoExpert, kNoExpert};
  int64_t loads = 0;
  while (!scheduler.settled()) {
    std::vector<size_t> started;
    for (int g = 0; g < 2; ++g) {
      const auto task = scheduler.next_task(held[g]);
      if (!task) continue;
      const int64_t expert = scheduler.graph().tasks()[*task].expert;
      if (expert != kNoExpert && expert != held[g]) {
        held[g] = expert;
        ++loads;
      }
      started.push_back(*task);
    }
    ASSERT_FALSE(started.empty());
    for (size_t task : started) scheduler.succeeded(task);
  }
  EXPECT_LE(loads, 2 * 2 * ((n + 3) / 4));
}

TEST(PhaseBatching, AFailedOrInterruptedHighPhaseFreesItsPlaceInTheBatch) {
  Scheduler scheduler(WorkGraph(two_expert_assets(2)), 3, 1);
  const auto high = scheduler.next_task(kHigh);
  ASSERT_TRUE(high);
  EXPECT_FALSE(scheduler.next_task(kHigh));
  EXPECT_EQ(scheduler.failed(*high, "out of memory"), FailureOutcome::kRetry);
  EXPECT_EQ(scheduler.counts().assets_parked, 0);
  const auto retry = scheduler.next_task(kHigh);
  ASSERT_TRUE(retry);
  EXPECT_EQ(*retry, *high);
  scheduler.interrupted(*retry);
  EXPECT_EQ(scheduler.counts().assets_parked, 0);
  // A low phase that fails keeps its asset parked: its high phase's state is still waiting.
  scheduler.succeeded(*scheduler.next_task(kHigh));
  const auto low = scheduler.next_task(kHigh);
  ASSERT_TRUE(low);
  EXPECT_EQ(name_of(scheduler, *low), "a0/segment-000/low_noise");
  EXPECT_EQ(scheduler.failed(*low, "disk full"), FailureOutcome::kRetry);
  EXPECT_TRUE(scheduler.parked(0));
  EXPECT_EQ(name_of(scheduler, *scheduler.next_task(kHigh)), "a0/segment-000/low_noise");
}

TEST(PhaseBatching, AHighPhaseFinishedInAnEarlierRunParksItsAsset) {
  Scheduler scheduler(WorkGraph(two_expert_assets(2)), 3, 1);
  scheduler.restore_done(0);  // a0's high phase
  EXPECT_TRUE(scheduler.parked(0));
  // The batch is full: a1's high phase waits for a0's low phase, whichever expert is held.
  const auto next = scheduler.next_task(kHigh);
  ASSERT_TRUE(next);
  EXPECT_EQ(name_of(scheduler, *next), "a0/segment-000/low_noise");
}

TEST(PhaseBatching, AGraphWithoutExpertsIgnoresTheExpertHeld) {
  const std::vector<AssetWork> work = {{"a", 1, 2}, {"b", 0, 3}, {"c", 1, 1}};
  Scheduler plain{WorkGraph(work), 2, 1};
  Scheduler holding{WorkGraph(work), 2, 1};
  for (;;) {
    const auto expected = plain.next_task();
    const auto got = holding.next_task(kLow);
    ASSERT_EQ(expected, got);
    if (!expected) break;
    plain.succeeded(*expected);
    holding.succeeded(*got);
  }
  EXPECT_TRUE(holding.settled());
  EXPECT_THROW(Scheduler(WorkGraph(work), 2, 0), ConfigError);
}

}  // namespace
}  // namespace motionfarm::coordinator
