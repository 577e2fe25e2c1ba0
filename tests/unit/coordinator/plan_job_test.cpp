// `motionfarm plan` end to end on the published mixed workload (configs/examples/
// mixed-workload.yaml): at 1,024 GPUs the farm's scheduler comes within 5% of the lower bound
// (issue #11's acceptance), and the static split's figure is reported beside it.
#include "coordinator/plan_job.h"

#include <gtest/gtest.h>

#include <iostream>

#include "coordinator/manifest_reader.h"
#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

Job mixed_workload() {
  ManifestOptions options;
  options.check_images = false;
  options.check_weights = false;
  return load_job(testing::source_dir() + "/configs/examples/mixed-workload.yaml", options);
}

TEST(PlanJob, MixedWorkloadAt1024GpusIsWithinFivePercentOfTheLowerBound) {
  const Job job = mixed_workload();
  ASSERT_EQ(job.assets.size(), 2000u);
  PlanRequest request;
  request.nodes = 128;
  request.gpus_per_node = 8;
  request.gpu = "H100";
  const PlanResult plan = plan_job(job, load_default_gpu_table(), request);
  std::cout << format_plan(plan);
  RecordProperty("static_split_ratio", std::to_string(plan.split_ratio()));
  EXPECT_TRUE(plan.layout_searched);
  EXPECT_GE(plan.ratio(), 1.0 - 1e-9);
  EXPECT_LE(plan.ratio(), 1.05);
  EXPECT_GE(plan.split.makespan_s, plan.pull.makespan_s);
  // Three classes: 480p 5 s, 720p 10 s, 720p 60 s.
  EXPECT_EQ(plan.classes.size(), 3u);
  EXPECT_GT(plan.utilisation(), 0.9);
}

TEST(PlanJob, AFixedLayoutIsUsedAndTheBookingIsChecked) {
  const Job job = mixed_workload();
  PlanRequest request;
  request.nodes = 16;
  request.gpus_per_node = 8;
  request.layout = parallel::ParallelLayout{2, 1, 4, 1};
  request.hours = 0.5;
  const PlanResult plan = plan_job(job, load_default_gpu_table(), request);
  EXPECT_FALSE(plan.layout_searched);
  EXPECT_EQ(plan.layout.to_string(), request.layout->to_string());
  EXPECT_EQ(plan.groups, 16);
  EXPECT_FALSE(plan.fits());  // ~1,000 GPU-hours of work do not fit 128 GPUs for half an hour
  EXPECT_NE(format_plan(plan).find("NO"), std::string::npos);
}

TEST(PlanJob, RejectsALayoutThatDoesNotDivideTheCluster) {
  const Job job = mixed_workload();
  PlanRequest request;
  request.nodes = 1;
  request.gpus_per_node = 6;
  request.layout = parallel::ParallelLayout{1, 1, 4, 1};
  EXPECT_THROW(plan_job(job, load_default_gpu_table(), request), ConfigError);
}

}  // namespace
}  // namespace motionfarm::coordinator
