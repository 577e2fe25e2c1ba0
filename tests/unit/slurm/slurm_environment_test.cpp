#include "slurm/slurm_environment.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace motionfarm::slurm {
namespace {

TEST(SlurmEnvironment, ReadsEverySlurmVariable) {
  const SlurmEnvironment slurm = read_slurm_environment({{"SLURM_JOB_ID", "4242"},
                                                         {"SLURM_PROCID", "5"},
                                                         {"SLURM_LOCALID", "1"},
                                                         {"SLURM_NTASKS", "8"},
                                                         {"SLURM_NNODES", "2"},
                                                         {"SLURM_RESTART_COUNT", "3"},
                                                         {"SLURM_JOB_NODELIST", "gpu[01-02]"},
                                                         {"CUDA_VISIBLE_DEVICES", "2,3"},
                                                         {"HOME", "/root"}});
  EXPECT_TRUE(slurm.in_job());
  EXPECT_EQ(slurm.job_id, "4242");
  EXPECT_EQ(slurm.proc_id, 5);
  EXPECT_EQ(slurm.local_id, 1);
  EXPECT_EQ(slurm.ntasks, 8);
  EXPECT_EQ(slurm.nnodes, 2);
  EXPECT_EQ(slurm.restart_count, 3);
  EXPECT_EQ(slurm.node_list, "gpu[01-02]");
  ASSERT_TRUE(slurm.cuda_visible_devices.has_value());
  EXPECT_EQ(*slurm.cuda_visible_devices, (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(slurm.describe(), "slurm job 4242 (restart 3) on gpu[01-02], 2 nodes, 8 tasks");
}

TEST(SlurmEnvironment, OutsideSlurmEverythingIsUnset) {
  const SlurmEnvironment slurm = read_slurm_environment({{"PATH", "/usr/bin"}});
  EXPECT_FALSE(slurm.in_job());
  EXPECT_FALSE(slurm.proc_id.has_value());
  EXPECT_FALSE(slurm.local_id.has_value());
  EXPECT_FALSE(slurm.ntasks.has_value());
  EXPECT_EQ(slurm.restart_count, 0);
  EXPECT_FALSE(slurm.cuda_visible_devices.has_value());
  EXPECT_EQ(slurm.describe(), "not in a Slurm job");
}

TEST(SlurmEnvironment, FirstRunHasNoRestartCount) {
  // Slurm sets SLURM_RESTART_COUNT only after the first requeue.
  const SlurmEnvironment slurm =
      read_slurm_environment({{"SLURM_JOB_ID", "7"}, {"SLURM_NNODES", "1"}});
  EXPECT_EQ(slurm.restart_count, 0);
  EXPECT_EQ(slurm.describe(), "slurm job 7 (restart 0), 1 node");
}

TEST(SlurmEnvironment, AMalformedNumberNamesTheVariable) {
  for (const char* bad : {"", "x", "3x", "-1", "99999999999"}) {
    try {
      read_slurm_environment({{"SLURM_JOB_ID", "7"}, {"SLURM_LOCALID", bad}});
      FAIL() << "accepted SLURM_LOCALID='" << bad << "'";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("SLURM_LOCALID='" + std::string(bad) + "'"),
                std::string::npos)
          << error.what();
    }
  }
}

TEST(SlurmEnvironment, CudaVisibleDevicesForms) {
  EXPECT_TRUE(parse_cuda_visible_devices("").empty());
  EXPECT_TRUE(parse_cuda_visible_devices("NoDevFiles").empty());
  EXPECT_EQ(parse_cuda_visible_devices("0, 2 ,5"), (std::vector<std::string>{"0", "2", "5"}));
  EXPECT_EQ(parse_cuda_visible_devices("GPU-8a1b,GPU-77ff"),
            (std::vector<std::string>{"GPU-8a1b", "GPU-77ff"}));
  const SlurmEnvironment none = read_slurm_environment({{"CUDA_VISIBLE_DEVICES", ""}});
  ASSERT_TRUE(none.cuda_visible_devices.has_value());  // set but empty: no GPU, not "all"
  EXPECT_TRUE(none.cuda_visible_devices->empty());
}

TEST(SlurmEnvironment, ProcessEnvironmentHoldsThisProcessesVariables) {
  setenv("MOTIONFARM_SLURM_TEST_MARKER", "a=b", 1);
  const Environment env = process_environment();
  ASSERT_TRUE(env.count("MOTIONFARM_SLURM_TEST_MARKER"));
  EXPECT_EQ(env.at("MOTIONFARM_SLURM_TEST_MARKER"), "a=b");  // split at the first '='
  unsetenv("MOTIONFARM_SLURM_TEST_MARKER");
}

}  // namespace
}  // namespace motionfarm::slurm
