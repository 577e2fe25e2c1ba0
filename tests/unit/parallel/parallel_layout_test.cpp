#include "parallel/parallel_layout.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace motionfarm::parallel {
namespace {

const LayoutModelDims kWan14B{40, 5120, 13824};

TEST(ParallelLayout, ParsesAnySubsetInAnyOrder) {
  const ParallelLayout layout = ParallelLayout::parse("ring=2,cfg=2,ulysses=4");
  EXPECT_EQ(layout.cfg, 2);
  EXPECT_EQ(layout.tp, 1);
  EXPECT_EQ(layout.ulysses, 4);
  EXPECT_EQ(layout.ring, 2);
  EXPECT_EQ(layout.group_size(), 16);
  EXPECT_EQ(layout.to_string(), "cfg=2,tp=1,ulysses=4,ring=2");
  EXPECT_EQ(ParallelLayout::parse("").group_size(), 1);
}

TEST(ParallelLayout, RejectsUnknownKeysAndBadNumbers) {
  EXPECT_THROW(ParallelLayout::parse("pp=2"), ConfigError);
  EXPECT_THROW(ParallelLayout::parse("tp=0"), ConfigError);
  EXPECT_THROW(ParallelLayout::parse("tp=two"), ConfigError);
  EXPECT_THROW(ParallelLayout::parse("tp"), ConfigError);
  try {
    ParallelLayout::parse("tensor=2");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("cfg, tp, ulysses, ring"), std::string::npos);
  }
}

TEST(ParallelLayout, SuggestsAUlyssesRingSplitWhenHeadsDoNotDivide) {
  const auto problems = layout_problems(ParallelLayout::parse("ulysses=16"), kWan14B, 16);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "40 heads are not divisible by ulysses 16: use ulysses 8 × ring 2");
}

TEST(ParallelLayout, ChecksTheWorldAndTheTensorParallelSplit) {
  EXPECT_TRUE(layout_problems(ParallelLayout::parse("cfg=2,ulysses=4"), kWan14B, 16).empty());
  const auto problems = layout_problems(ParallelLayout::parse("tp=3,cfg=3"), kWan14B, 16);
  // cfg 3; a group of 9 vs 16 ranks; 40 heads / tp 3; dim 5120 / 3 (ffn 13824 divides by 3).
  EXPECT_EQ(problems.size(), 4u);
  EXPECT_THROW(validate_layout(ParallelLayout::parse("tp=3"), kWan14B, 3), ConfigError);
}

TEST(ParallelLayout, AGroupLargerThanTheWorldSuggestsARankCountThatFits) {
  const auto problems = layout_problems(ParallelLayout::parse("ulysses=8"), kWan14B, 12);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("or run 8 ranks"), std::string::npos) << problems[0];
  const auto too_few = layout_problems(ParallelLayout::parse("ulysses=8,cfg=2"), kWan14B, 12);
  EXPECT_NE(too_few[0].find("or run 16 ranks"), std::string::npos) << too_few[0];
}

}  // namespace
}  // namespace motionfarm::parallel
