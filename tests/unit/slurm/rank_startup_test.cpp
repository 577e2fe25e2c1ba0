#include "slurm/rank_startup.h"

#include <gtest/gtest.h>

namespace motionfarm::slurm {
namespace {

RankPlacement placed(int rank, const std::string& host, int local, int device,
                     const std::string& physical = "", const std::string& note = "") {
  RankPlacement p;
  p.world_rank = rank;
  p.host = host;
  p.local_rank = local;
  p.gpu.device = device;
  p.gpu.physical = physical.empty() && device >= 0 ? std::to_string(device) : physical;
  p.gpu.note = note;
  return p;
}

TEST(RankStartup, RankRangesAreCompressed) {
  EXPECT_EQ(rank_ranges({0}), "0");
  EXPECT_EQ(rank_ranges({0, 1, 2, 3}), "0-3");
  EXPECT_EQ(rank_ranges({0, 2, 3, 5, 6, 7}), "0,2-3,5-7");
  EXPECT_EQ(rank_ranges({}), "");
}

TEST(RankStartup, OneLinePerNodeInRankOrder) {
  // Gathered out of order, interleaved across two hosts (a cyclic distribution).
  const std::vector<RankPlacement> all = {placed(3, "gpu02", 1, 1), placed(0, "gpu01", 0, 0),
                                          placed(2, "gpu02", 0, 0), placed(1, "gpu01", 1, 1)};
  const std::vector<std::string> lines = describe_nodes(all);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "node gpu01: 2 ranks (0-1), GPUs 0,1");
  EXPECT_EQ(lines[1], "node gpu02: 2 ranks (2-3), GPUs 0,1");
}

TEST(RankStartup, CpuRanksSayWhyThereIsNoGpu) {
  const std::vector<std::string> lines =
      describe_nodes({placed(0, "vm", 0, -1, "", "built without CUDA")});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "node vm: 1 rank (0), GPUs none (built without CUDA)");
}

TEST(RankStartup, PhysicalNamesAndSharingAreShown) {
  const std::vector<std::string> lines = describe_nodes(
      {placed(0, "n1", 0, 0, "6"), placed(1, "n1", 1, 0, "6", "shared: 2 ranks on 1 GPUs")});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "node n1: 2 ranks (0-1), GPUs 6,6 (shared: 2 ranks on 1 GPUs)");
}

}  // namespace
}  // namespace motionfarm::slurm
