#include "slurm/gpu_binding.h"

#include <gtest/gtest.h>

namespace motionfarm::slurm {
namespace {

GpuBindingInput input(int local_rank, int local_ranks, int visible,
                      std::optional<std::vector<std::string>> names = std::nullopt) {
  GpuBindingInput in;
  in.local_rank = local_rank;
  in.local_ranks = local_ranks;
  in.visible_devices = visible;
  in.no_gpu_reason = "built without CUDA";
  in.cuda_visible_devices = std::move(names);
  return in;
}

TEST(GpuBinding, NoVisibleGpuLeavesTheRankOnTheCpuAndSaysWhy) {
  const GpuBinding binding = choose_gpu(input(2, 4, 0));
  EXPECT_EQ(binding.device, -1);
  EXPECT_EQ(binding.note, "built without CUDA");
}

TEST(GpuBinding, GpusPerTaskEveryRankTakesItsOnlyDevice) {
  // --gpus-per-task=1: Slurm shows each task one GPU, named by CUDA_VISIBLE_DEVICES.
  for (int rank = 0; rank < 4; ++rank) {
    const GpuBinding binding =
        choose_gpu(input(rank, 4, 1, std::vector<std::string>{std::to_string(4 + rank)}));
    EXPECT_EQ(binding.device, 0);
    EXPECT_EQ(binding.physical, std::to_string(4 + rank));
    EXPECT_EQ(binding.note, "");
  }
}

TEST(GpuBinding, GpusPerNodeTheNodeRankPicksTheDevice) {
  const std::vector<std::string> names = {"4", "5", "6", "7"};
  for (int rank = 0; rank < 4; ++rank) {
    const GpuBinding binding = choose_gpu(input(rank, 4, 4, names));
    EXPECT_EQ(binding.device, rank);
    EXPECT_EQ(binding.physical, names[rank]);
    EXPECT_EQ(binding.note, "");
  }
  // Without CUDA_VISIBLE_DEVICES the node names devices by index.
  EXPECT_EQ(choose_gpu(input(3, 8, 8)).physical, "3");
}

TEST(GpuBinding, MoreRanksThanGpusShareThemRoundRobin) {
  EXPECT_EQ(choose_gpu(input(0, 4, 2)).device, 0);
  EXPECT_EQ(choose_gpu(input(1, 4, 2)).device, 1);
  EXPECT_EQ(choose_gpu(input(2, 4, 2)).device, 0);
  const GpuBinding last = choose_gpu(input(3, 4, 2));
  EXPECT_EQ(last.device, 1);
  EXPECT_EQ(last.note, "shared: 4 ranks on 2 GPUs");
}

TEST(GpuBinding, BindingOnThisMachineNeverThrows) {
  // This build may or may not have CUDA and a GPU; either way the call answers.
  const GpuBinding binding = bind_rank_to_gpu(0, 1, std::nullopt);
  EXPECT_TRUE(binding.device >= 0 || !binding.note.empty()) << "a CPU rank must say why";
}

}  // namespace
}  // namespace motionfarm::slurm
