// Forward batching in the scheduler and the batch plan: batch-mates leave together and wait for
// each other, a failed mate stops holding the others, an out-of-memory batch shrinks, and the
// batch plan groups assets by key in manifest order at the size memory allows.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coordinator/batch_ledger.h"
#include "coordinator/batch_plan.h"
#include "coordinator/job_ledger.h"
#include "coordinator/scheduler.h"
#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

std::vector<std::string> names(const Scheduler& scheduler, const std::vector<size_t>& tasks) {
  std::vector<std::string> out;
  for (size_t task : tasks) out.push_back(scheduler.graph().tasks()[task].name);
  return out;
}

using Names = std::vector<std::string>;

TEST(BatchScheduler, MatesLeaveTogetherInBatchOrderAndOthersAlone) {
  // a, b, c: one batch of two-segment chains; d: alone.
  Scheduler scheduler(WorkGraph({{"a", 0, 2}, {"b", 0, 2}, {"c", 0, 2}, {"d", 0, 2}}), 3, INT64_MAX,
                      {{0, 1, 2}});
  // c has the highest place in the order (all equal chains: manifest order picks a first), but
  // the batch comes out in its own member order whichever member was chosen.
  const std::vector<size_t> first = scheduler.next_tasks();
  EXPECT_EQ(names(scheduler, first), (Names{"a/segment-000", "b/segment-000", "c/segment-000"}));
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"d/segment-000"}));
  EXPECT_TRUE(scheduler.next_tasks().empty());
  for (size_t task : first) scheduler.succeeded(task);
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()),
            (Names{"a/segment-001", "b/segment-001", "c/segment-001"}));
}

TEST(BatchScheduler, AMateThatFellBehindHoldsTheOthersUntilItCatchesUp) {
  Scheduler scheduler(WorkGraph({{"a", 0, 2}, {"b", 0, 2}}), 3, INT64_MAX, {{0, 1}});
  const std::vector<size_t> first = scheduler.next_tasks();
  ASSERT_EQ(first.size(), 2u);
  scheduler.succeeded(first[0]);                                           // a's segment 0 done
  EXPECT_EQ(scheduler.failed(first[1], "flaky"), FailureOutcome::kRetry);  // b's goes back
  // a's segment 1 waits for b: the retry of b's segment 0 runs alone.
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"b/segment-000"}));
  EXPECT_TRUE(scheduler.next_tasks().empty());
  scheduler.succeeded(first[1]);
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"a/segment-001", "b/segment-001"}));
}

TEST(BatchScheduler, ARequeuedMateRejoinsAndAFailedAssetStopsHoldingItsMates) {
  Scheduler scheduler(WorkGraph({{"a", 0, 2}, {"b", 0, 2}, {"c", 0, 2}}), 2, INT64_MAX,
                      {{0, 1, 2}});
  std::vector<size_t> batch = scheduler.next_tasks();
  ASSERT_EQ(batch.size(), 3u);
  // b failed; a and c were not run (requeued, no attempt used): the same batch forms again, and
  // not before every member's report is in (another group asking in between gets nothing).
  scheduler.interrupted(batch[0]);
  EXPECT_TRUE(scheduler.next_tasks().empty());
  EXPECT_EQ(scheduler.failed(batch[1], "bad image"), FailureOutcome::kRetry);
  EXPECT_TRUE(scheduler.next_tasks().empty());
  scheduler.interrupted(batch[2]);
  batch = scheduler.next_tasks();
  EXPECT_EQ(names(scheduler, batch), (Names{"a/segment-000", "b/segment-000", "c/segment-000"}));
  EXPECT_EQ(scheduler.failed_attempts(batch[0]), 0);
  // b fails for good: a and c go on as a batch of two.
  EXPECT_EQ(scheduler.failed(batch[1], "bad image"), FailureOutcome::kAssetFailed);
  scheduler.interrupted(batch[0]);
  scheduler.interrupted(batch[2]);
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"a/segment-000", "c/segment-000"}));
}

TEST(BatchScheduler, AnOutOfMemoryBatchShrinksByHalvesDownToOne) {
  Scheduler scheduler(WorkGraph({{"a", 0, 1}, {"b", 0, 1}, {"c", 0, 1}, {"d", 0, 1}}), 3, INT64_MAX,
                      {{0, 1, 2, 3}});
  EXPECT_EQ(scheduler.batch_limit(0), 4);
  EXPECT_TRUE(scheduler.shrink_batch(0));
  EXPECT_EQ(scheduler.batch_limit(3), 2);
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"a/segment-000", "b/segment-000"}));
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"c/segment-000", "d/segment-000"}));
  EXPECT_TRUE(scheduler.shrink_batch(0));
  EXPECT_FALSE(scheduler.shrink_batch(0));                               // one at a time already
  EXPECT_FALSE(Scheduler(WorkGraph({{"x", 0, 1}}), 1).shrink_batch(0));  // in no batch
}

TEST(BatchScheduler, BatchesSetAfterARestoreHoldTheMateThatIsAhead) {
  Scheduler scheduler(WorkGraph({{"a", 0, 2}, {"b", 0, 2}}), 3);
  scheduler.restore_done(0);  // an earlier run finished a's segment 0 only
  scheduler.set_batches({{0, 1}});
  const std::vector<size_t> behind = scheduler.next_tasks();
  EXPECT_EQ(names(scheduler, behind), (Names{"b/segment-000"}));
  EXPECT_TRUE(scheduler.next_tasks().empty());  // a's segment 1 waits for b
  scheduler.succeeded(behind.front());
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"a/segment-001", "b/segment-001"}));
}

TEST(BatchScheduler, AssembliesRunAlone) {
  Scheduler scheduler(WorkGraph({{"a", 0, 1}, {"b", 0, 1}}), 3, INT64_MAX, {{0, 1}});
  const std::vector<size_t> segments = scheduler.next_tasks();
  ASSERT_EQ(segments.size(), 2u);
  for (size_t task : segments) scheduler.succeeded(task);
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"a/assembly"}));
  EXPECT_EQ(names(scheduler, scheduler.next_tasks()), (Names{"b/assembly"}));
}

TEST(BatchScheduler, MembersMustHaveTheSameChain) {
  EXPECT_THROW(Scheduler(WorkGraph({{"a", 0, 1}, {"b", 0, 2}}), 3, INT64_MAX, {{0, 1}}),
               ConfigError);
  EXPECT_THROW(Scheduler(WorkGraph({{"a", 0, 1}, {"b", 0, 1}}), 3, INT64_MAX, {{0, 1}, {1}}),
               ConfigError);
}

// A 64x64, 5-frame, one-segment render on the demo DiT's strides.
rank::AssetRender small_render(const std::string& id) {
  rank::AssetRender render;
  render.id = id;
  render.width = 64;
  render.height = 64;
  render.segments = {{5, 0, 5}};
  return render;
}

ModelFacts demo_facts() {
  ModelFacts facts;
  facts.model_type = "i2v";
  facts.spatial_stride = 16;
  facts.temporal_stride = 4;
  facts.dim = 1536;
  facts.ffn_dim = 8960;
  return facts;
}

TEST(BatchPlan, ActivationBytesFollowTheTokensTheDtypeAndTheSequenceSplit) {
  const ModelFacts facts = demo_facts();
  rank::AssetRender render = small_render("a");
  // 5 frames -> 2 latent frames of 4 x 4 tokens: 32 tokens x (22 x 1536 + 4 x 8960) bytes in bf16.
  const int64_t bf16 = 32 * (22 * 1536 + 4 * 8960);
  EXPECT_EQ(activation_bytes_per_member(facts, render, 2, 1), bf16);
  EXPECT_EQ(activation_bytes_per_member(facts, render, 4, 1), 2 * bf16);
  EXPECT_EQ(activation_bytes_per_member(facts, render, 2, 4), bf16 / 4);
  // The longest segment counts: a 9-frame segment has 3 latent frames.
  render.segments = {{5, 0, 5}, {9, 1, 8}};
  EXPECT_EQ(activation_bytes_per_member(facts, render, 2, 1), 48 * (22 * 1536 + 4 * 8960));
  // The real case: Wan2.1 14B, 81 frames at 832 x 480 on one GPU: 32,760 tokens, about 5.1 GiB.
  ModelFacts wan = facts;
  wan.dim = 5120;
  wan.ffn_dim = 13824;
  rank::AssetRender clip = small_render("clip");
  clip.width = 832;
  clip.height = 480;
  clip.segments = {{81, 0, 81}};
  EXPECT_NEAR(static_cast<double>(activation_bytes_per_member(wan, clip, 2, 1)) / (1 << 30), 5.1,
              0.1);
}

TEST(BatchPlan, MemoryDecidesTheSizeWithinOneAndBatchMax) {
  EXPECT_EQ(memory_batch_size(100, 10, 4), 4);   // 8 fit in 80 %: capped at batch_max
  EXPECT_EQ(memory_batch_size(100, 30, 8), 2);   // 80 / 30
  EXPECT_EQ(memory_batch_size(100, 200, 8), 1);  // not even one: runs alone anyway
  EXPECT_EQ(memory_batch_size(-5, 200, 8), 1);
  EXPECT_THROW(memory_batch_size(100, 10, 0), ConfigError);
}

TEST(BatchPlan, AssetsWithOneKeyAreBatchedInManifestOrder) {
  const ModelFacts facts = demo_facts();
  std::vector<AssetPlan> plans(6);
  for (size_t i = 0; i < plans.size(); ++i) {
    plans[i].render = small_render("a" + std::to_string(i));
  }
  plans[2].render.steps = 20;        // another schedule: another key, alone
  plans[4].render.guidance.reset();  // the preset's guidance: another key, alone
  BatchPlanInputs inputs;
  inputs.facts = &facts;
  inputs.free_bytes = int64_t{1} << 40;
  inputs.batch_max = 2;
  const BatchPlan plan = plan_batches(plans, inputs);
  EXPECT_EQ(plan.batches, (std::vector<std::vector<size_t>>{{0, 1}, {3, 5}}));
  EXPECT_EQ(plan.largest, 2);
  // Memory for one member only: no batches.
  inputs.free_bytes = activation_bytes_per_member(facts, plans[0].render, 4, 1);
  EXPECT_TRUE(plan_batches(plans, inputs).batches.empty());
  // Two groups for six assets: at most 6 / (4 x 2) = 0 members, so each group gets four units.
  inputs.free_bytes = int64_t{1} << 40;
  inputs.groups = 2;
  EXPECT_TRUE(plan_batches(plans, inputs).batches.empty());
  std::vector<AssetPlan> many(16, plans[0]);
  for (size_t i = 0; i < many.size(); ++i) many[i].render.id = "m" + std::to_string(i);
  EXPECT_EQ(plan_batches(many, inputs).largest, 2);  // 16 / 8 = 2
  inputs.groups = 1;
  // A forward full of tokens already: 32 tokens each, 64 per forward make batches of two, 40
  // none.
  inputs.batch_max = 4;
  inputs.saturation_tokens = 64;
  EXPECT_EQ(plan_batches(plans, inputs).largest, 2);
  inputs.saturation_tokens = 40;
  EXPECT_TRUE(plan_batches(plans, inputs).batches.empty());
  inputs.saturation_tokens = 0;
  // batch_max 1 turns batching off.
  inputs.free_bytes = int64_t{1} << 40;
  inputs.batch_max = 1;
  EXPECT_TRUE(plan_batches(plans, inputs).batches.empty());
  EXPECT_NE(batch_key(plans[0].render), batch_key(plans[2].render));
  EXPECT_EQ(batch_key(plans[0].render), batch_key(plans[1].render));
}

TEST(BatchLedger, ARerunReusesTheFirstRunsBatchesWhateverMemoryItMeasures) {
  testing::ScratchDir dir("batch-ledger");
  JobLedger ledger(dir.path());
  const ModelFacts facts = demo_facts();
  std::vector<AssetPlan> plans(5);
  for (size_t i = 0; i < plans.size(); ++i) plans[i].render = small_render("a" + std::to_string(i));
  BatchPlanInputs inputs;
  inputs.facts = &facts;
  inputs.free_bytes = int64_t{1} << 40;
  inputs.batch_max = 2;
  const std::vector<std::vector<size_t>> first = {{0, 1}, {2, 3}};
  EXPECT_EQ(kept_batches(ledger, plans, inputs).batches, first);
  EXPECT_EQ(ledger.job_value("batches"), std::string(R"([["a0","a1"],["a2","a3"]])"));

  // The rerun measures room for one member only, and still batches as the first run did.
  inputs.free_bytes = 1;
  EXPECT_EQ(kept_batches(ledger, plans, inputs).batches, first);

  // a1 changed (another schedule: another key): its stored batch is planned again, which with
  // room for two pairs a0 with a4 (a2 and a3 stay as stored; a1 is alone).
  inputs.free_bytes = int64_t{1} << 40;
  plans[1].render.steps = 20;
  EXPECT_EQ(kept_batches(ledger, plans, inputs).batches,
            (std::vector<std::vector<size_t>>{{2, 3}, {0, 4}}));
  // batch_max 1 now: no stored batch fits, none is planned.
  inputs.batch_max = 1;
  EXPECT_TRUE(kept_batches(ledger, plans, inputs).batches.empty());
  EXPECT_EQ(ledger.job_value("batches"), std::string("[]"));
}

}  // namespace
}  // namespace motionfarm::coordinator
