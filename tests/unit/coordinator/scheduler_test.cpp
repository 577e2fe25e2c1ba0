// The scheduler's order (critical path, then priority, then manifest order) and its retry and
// failure rules, on small hand-made work graphs.
#include "coordinator/scheduler.h"

#include "core/error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace motionfarm::coordinator {
namespace {

std::string name_of(const Scheduler& scheduler, size_t task) {
  return scheduler.graph().tasks()[task].name;
}

// Takes every ready task in order (they stay running).
std::vector<std::string> drain(Scheduler& scheduler) {
  std::vector<std::string> names;
  while (const auto task = scheduler.next_task()) names.push_back(name_of(scheduler, *task));
  return names;
}

TEST(WorkGraph, EachAssetIsAChainOfSegmentsThenAnAssembly) {
  const WorkGraph graph({{"a", 0, 2}, {"b", 0, 1}});
  ASSERT_EQ(graph.tasks().size(), 5u);
  EXPECT_EQ(graph.tasks()[0].name, "a/segment-000");
  EXPECT_EQ(graph.tasks()[1].name, "a/segment-001");
  EXPECT_EQ(graph.tasks()[2].name, "a/assembly");
  EXPECT_EQ(graph.tasks()[0].remaining_chain, 3);
  EXPECT_EQ(graph.tasks()[2].remaining_chain, 1);
  EXPECT_EQ(graph.predecessor(0), -1);
  EXPECT_EQ(graph.predecessor(2), 1);
  EXPECT_EQ(graph.predecessor(3), -1);
}

TEST(WorkGraph, RejectsDuplicateIdsAndEmptyAssets) {
  EXPECT_THROW(WorkGraph({{"a", 0, 1}, {"a", 0, 2}}), ConfigError);
  EXPECT_THROW(WorkGraph({{"a", 0, 0}}), ConfigError);
}

TEST(Scheduler, LongestRemainingChainFirstThenPriorityThenManifestOrder) {
  Scheduler scheduler(WorkGraph({{"short", 0, 1},
                                 {"long", 0, 4},
                                 {"mid", 0, 2},
                                 {"short-urgent", 9, 1},
                                 {"mid-too", 0, 2}}),
                      3);
  EXPECT_EQ(drain(scheduler),
            (std::vector<std::string>{"long/segment-000", "mid/segment-000", "mid-too/segment-000",
                                      "short-urgent/segment-000", "short/segment-000"}));
}

TEST(Scheduler, ASegmentWaitsForThePreviousOne) {
  Scheduler scheduler(WorkGraph({{"a", 0, 2}}), 3);
  const auto first = scheduler.next_task();
  ASSERT_TRUE(first);
  EXPECT_FALSE(scheduler.next_task());  // segment 1 needs segment 0
  scheduler.succeeded(*first);
  const auto second = scheduler.next_task();
  ASSERT_TRUE(second);
  EXPECT_EQ(name_of(scheduler, *second), "a/segment-001");
  scheduler.succeeded(*second);
  const auto assembly = scheduler.next_task();
  ASSERT_TRUE(assembly);
  EXPECT_EQ(name_of(scheduler, *assembly), "a/assembly");
  EXPECT_FALSE(scheduler.settled());
  scheduler.succeeded(*assembly);
  EXPECT_EQ(scheduler.asset_state(0), AssetState::kDone);
  EXPECT_TRUE(scheduler.settled());
}

TEST(Scheduler, AContinuedChainOvertakesFreshShortAssets) {
  // After a's segment 0, a's segment 1 (chain 3 left) goes before b's only segment (chain 2).
  Scheduler scheduler(WorkGraph({{"a", 0, 3}, {"b", 0, 1}}), 3);
  const auto a0 = scheduler.next_task();
  scheduler.succeeded(*a0);
  EXPECT_EQ(drain(scheduler), (std::vector<std::string>{"a/segment-001", "b/segment-000"}));
}

TEST(Scheduler, AFailedTaskIsRetriedUntilMaxAttemptsThenItsAssetFails) {
  Scheduler scheduler(WorkGraph({{"bad", 0, 2}, {"good", 0, 1}}), 2);
  const auto first = scheduler.next_task();
  ASSERT_EQ(name_of(scheduler, *first), "bad/segment-000");
  EXPECT_EQ(scheduler.failed(*first, "corrupt image"), FailureOutcome::kRetry);
  EXPECT_EQ(scheduler.failed_attempts(*first), 1);
  EXPECT_EQ(scheduler.task_state(*first), TaskState::kReady);
  const auto again = scheduler.next_task();
  ASSERT_EQ(*again, *first);
  EXPECT_EQ(scheduler.failed(*again, "corrupt image"), FailureOutcome::kAssetFailed);
  EXPECT_EQ(scheduler.asset_state(0), AssetState::kFailed);
  EXPECT_NE(scheduler.asset_error(0).find("failed 2 times; last error: corrupt image"),
            std::string::npos)
      << scheduler.asset_error(0);
  EXPECT_EQ(scheduler.task_state(*first + 1), TaskState::kDropped);
  // The job goes on with the other asset.
  const auto good = scheduler.next_task();
  ASSERT_TRUE(good);
  EXPECT_EQ(name_of(scheduler, *good), "good/segment-000");
  scheduler.succeeded(*good);
  scheduler.succeeded(*scheduler.next_task());
  EXPECT_TRUE(scheduler.settled());
  const SchedulerCounts counts = scheduler.counts();
  EXPECT_EQ(counts.assets_done, 1);
  EXPECT_EQ(counts.assets_failed, 1);
  EXPECT_EQ(counts.tasks_running, 0);
}

TEST(Scheduler, AnInterruptionDoesNotUseUpAnAttempt) {
  Scheduler scheduler(WorkGraph({{"a", 0, 1}}), 1);
  const auto task = scheduler.next_task();
  scheduler.interrupted(*task);
  EXPECT_EQ(scheduler.failed_attempts(*task), 0);
  EXPECT_EQ(scheduler.task_state(*task), TaskState::kReady);
  EXPECT_EQ(scheduler.next_task(), task);
}

TEST(Scheduler, RestoredWorkIsNotScheduledAgain) {
  Scheduler scheduler(WorkGraph({{"done", 0, 1}, {"half", 0, 2}}), 3);
  scheduler.restore_done(0);
  scheduler.restore_done(1);  // done's assembly: the asset is finished
  scheduler.restore_done(2);  // half's segment 0
  EXPECT_EQ(scheduler.asset_state(0), AssetState::kDone);
  EXPECT_EQ(drain(scheduler), (std::vector<std::string>{"half/segment-001"}));
}

TEST(Scheduler, FailingAnAssetUpFrontDropsItsWork) {
  Scheduler scheduler(WorkGraph({{"blocked", 0, 1}, {"free", 0, 1}}), 3);
  scheduler.fail_asset(0, "output exists");
  EXPECT_EQ(scheduler.asset_error(0), "output exists");
  EXPECT_EQ(drain(scheduler), (std::vector<std::string>{"free/segment-000"}));
}

TEST(Scheduler, TheSameCallsGiveTheSameOrder) {
  const std::vector<AssetWork> work = {{"a", 1, 2}, {"b", 0, 3}, {"c", 1, 1}, {"d", 0, 2}};
  std::vector<std::string> runs[2];
  for (auto& names : runs) {
    Scheduler scheduler{WorkGraph(work), 2};
    while (!scheduler.settled()) {
      const auto task = scheduler.next_task();
      ASSERT_TRUE(task);
      names.push_back(name_of(scheduler, *task));
      // Every third task fails once: the retries interleave the same way each time.
      if (names.size() % 3 == 0 && scheduler.failed_attempts(*task) == 0) {
        scheduler.failed(*task, "flaky");
      } else {
        scheduler.succeeded(*task);
      }
    }
  }
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[0].front(), "b/segment-000");
}

}  // namespace
}  // namespace motionfarm::coordinator
