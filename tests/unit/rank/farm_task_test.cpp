// The farm's wire messages (rank/farm_task.h): a batch assignment and the per-member reports that
// end it survive the JSON round trip field for field, and a message from another build is a
// CommError rather than a silently wrong task.
#include "rank/farm_task.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace motionfarm::rank {
namespace {

FarmTask member(int64_t index, const std::string& id) {
  FarmTask task;
  task.task = index;
  task.name = id + "/segment-001/high_noise";
  task.segment_index = 1;
  task.attempt = 2;
  task.latent_folder = "/state/latents/" + id;
  task.expert = 0;
  task.begin_step = 0;
  task.stop_before_step = 12;
  task.asset.id = id;
  task.asset.image = "/in/" + id + ".png";
  task.asset.prompt = "the camera pushes in";
  task.asset.seed = 18446744073709551615ull;  // a 64-bit seed must not lose bits in JSON
  task.asset.width = 832;
  task.asset.height = 480;
  task.asset.guidance.reset();  // each expert's own scale
  task.asset.segments = {{81, 0, 81}, {81, 1, 80}};
  task.asset.deliverables = {{"mp4", "/out/" + id + ".mp4", "/out", true}};
  return task;
}

TEST(FarmTaskMessages, ABatchAssignmentRoundTripsEveryMemberInOrder) {
  Assignment assignment;
  assignment.tasks = {member(4, "a"), member(9, "b"), member(14, "c")};
  assignment.tasks[1].asset.guidance = 3.5;
  const Assignment back = decode_assignment(encode(assignment));
  ASSERT_FALSE(back.stop);
  ASSERT_EQ(back.tasks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const FarmTask& want = assignment.tasks[i];
    const FarmTask& got = back.tasks[i];
    EXPECT_EQ(got.task, want.task);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.stop_before_step, 12);
    EXPECT_EQ(got.asset.id, want.asset.id);
    EXPECT_EQ(got.asset.seed, want.asset.seed);
    EXPECT_EQ(got.asset.guidance, want.asset.guidance);
    ASSERT_EQ(got.asset.segments.size(), 2u);
    EXPECT_EQ(got.asset.segments[1].new_frames, 80);
    ASSERT_EQ(got.asset.deliverables.size(), 1u);
    EXPECT_TRUE(got.asset.deliverables[0].replace);
  }
  Assignment stop;
  stop.stop = true;
  stop.stop_reason = "every asset is done or failed";
  const Assignment stopped = decode_assignment(encode(stop));
  EXPECT_TRUE(stopped.stop);
  EXPECT_TRUE(stopped.tasks.empty());
  EXPECT_EQ(stopped.stop_reason, stop.stop_reason);
}

TEST(FarmTaskMessages, AMemberReportKeepsItsKindAndItsPlaceInTheBatch) {
  TaskReport report;
  report.kind = ReportKind::kRequeued;
  report.group = 1;
  report.task = 9;
  report.attempt = 2;
  report.error = "not run: batch member a/segment-001 failed (input)";
  report.seconds = 1.5;
  report.forward_seconds = 1.25;
  report.batch_remaining = 1;
  report.batch_size = 3;
  const TaskReport back = decode_report(encode(report));
  EXPECT_EQ(back.kind, ReportKind::kRequeued);
  EXPECT_EQ(back.task, 9);
  EXPECT_EQ(back.error, report.error);
  EXPECT_EQ(back.batch_remaining, 1);
  EXPECT_EQ(back.batch_size, 3);
  EXPECT_DOUBLE_EQ(back.forward_seconds, 1.25);
  EXPECT_STREQ(to_string(ReportKind::kRequeued), "requeued");
}

TEST(FarmTaskMessages, AMessageFromAnotherBuildIsACommError) {
  EXPECT_THROW(decode_assignment(R"({"stop": false, "task": {}})"), CommError);  // no "tasks"
  EXPECT_THROW(decode_report(R"({"kind": "finished"})"), CommError);
  EXPECT_THROW(decode_report("not json"), CommError);
}

}  // namespace
}  // namespace motionfarm::rank
