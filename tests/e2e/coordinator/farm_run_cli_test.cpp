// `motionfarm run` and `motionfarm status` in one process (no mpirun): a job renders every
// asset with the exact frame counts, a rerun skips finished work, a changed manifest is refused
// unless --force, a bad manifest exits 3.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "core/exit_codes.h"
#include "io/image_decoder.h"
#include "io/latent_store.h"
#include "rank/latent_checkpoint.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = MOTIONFARM_BINARY;

int64_t frames_of(const std::string& clip) {
  const CommandResult probe = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of default=nw=1:nk=1 " +
      shell_quote(clip));
  return std::atoll(probe.output.c_str());
}

std::string clip_of(const TinyJob& job, const std::string& asset) {
  for (const auto& entry : fs::directory_iterator(job.output_root + "/" + asset)) {
    return entry.path().string();
  }
  return "";
}

TEST(FarmRunCli, RendersEveryAssetAndARerunRedoesNothing) {
  ScratchDir dir("farm");
  const TinyJob job =
      write_tiny_job(dir.path(), {{"one", 5}, {"two", 9, "snake.png"}, {"three", 13}});
  const CommandResult first = run_job(job);
  ASSERT_EQ(first.exit_code, kExitSuccess) << first.output;
  EXPECT_NE(first.output.find("3 of 3 assets done, 0 failed"), std::string::npos) << first.output;
  EXPECT_EQ(frames_of(clip_of(job, "one")), 5);
  EXPECT_EQ(frames_of(clip_of(job, "two")), 9);
  EXPECT_EQ(frames_of(clip_of(job, "three")), 13);
  const int64_t attempts = ledger_integer(job.state, "SELECT COUNT(*) FROM attempts");
  EXPECT_EQ(attempts, (1 + 2 + 3) + 3);  // 6 segments + 3 assemblies, each once
  EXPECT_TRUE(fs::exists(job.state + "/logs/coordinator.log"));
  EXPECT_TRUE(fs::exists(job.state + "/logs/rank-0000.jsonl"));

  const CommandResult again = run_job(job);
  ASSERT_EQ(again.exit_code, kExitSuccess) << again.output;
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts"), attempts);
  EXPECT_NE(again.output.find("3 assets already done"), std::string::npos) << again.output;

  const CommandResult status =
      run_command(kBinary + " status " + shell_quote(job.state) + " --json 2>&1");
  ASSERT_EQ(status.exit_code, kExitSuccess) << status.output;
  EXPECT_NE(status.output.find("\"done\": 3"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("\"running\": false"), std::string::npos) << status.output;
}

// A clip given in seconds that takes four chained segments (5 frames each, the later ones sharing
// one frame with the one before): its file holds exactly round(duration x fps) frames, though 14
// is not a segment length, and its latent store holds the four segments.
// The work graph encodes each distinct prompt once (issue #7): every segment task asks the
// bundle's prompt cache for its prompt and its negative prompt, and only a prompt not seen
// before runs the umT5 encoder.
TEST(FarmRunCli, EachDistinctPromptIsEncodedOnce) {
  ScratchDir dir("farm-prompts");
  // Segment tasks: 1 + 2 + 1 + 1 = 5, each looking up its prompt and the (shared, empty)
  // negative prompt: 10 lookups of 3 distinct texts.
  const TinyJob job = write_tiny_job(dir.path(), {{"a", 5, "girl.png", "the grass sways"},
                                                  {"b", 9, "snake.png", "the grass sways"},
                                                  {"c", 5, "girl.png", "she smiles"},
                                                  {"d", 5, "snake.png", "she smiles"}});
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("prompt embeddings: 3 encoded, 7 reused from the cache"),
            std::string::npos)
      << result.output;
}

TEST(FarmRunCli, AFourSegmentClipHasExactlyDurationTimesFpsFrames) {
  ScratchDir dir("farm-duration");
  TinyJob job = write_tiny_job(dir.path(), {{"long", 5}});
  {
    std::ifstream in(job.manifest);
    std::string yaml((std::istreambuf_iterator<char>(in)), {});
    const std::string frames = "frames: 5}";
    yaml.replace(yaml.rfind(frames), frames.size(), "duration: 1.75s}");  // 1.75 s x 8 fps = 14
    std::ofstream(job.manifest) << yaml;
  }
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_EQ(frames_of(clip_of(job, "long")), 14);
  EXPECT_EQ(finished_segment_latents(job.state).size(), 4u);
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM tasks WHERE kind = 'segment'"), 4);
}

// extension.color_match: every later segment's latents carry segment 0's per-channel colour
// statistics (the chain continues from the matched frames), and the clip is still exact.
TEST(FarmRunCli, ColourMatchedChainsCarryTheFirstSegmentsStatistics) {
  ScratchDir dir("farm-colour");
  TinyJob job = write_tiny_job(dir.path(), {{"matched", 13}});
  {
    std::ifstream in(job.manifest);
    std::string yaml((std::istreambuf_iterator<char>(in)), {});
    const std::string extension = "extension: {segment_frames: 5}";
    yaml.replace(yaml.find(extension), extension.size(),
                 "extension: {segment_frames: 5, color_match: true}");
    std::ofstream(job.manifest) << yaml;
  }
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_EQ(frames_of(clip_of(job, "matched")), 13);
  const io::LatentStore store =
      io::LatentStore::open_unchecked(rank::latent_store_path(job.state + "/latents/matched"));
  const std::vector<int64_t> dims = {2, 3, 4};
  const at::Tensor anchor_mean = store.read_segment(0).mean(dims);
  for (int k = 1; k < 3; ++k) {
    EXPECT_TRUE(at::allclose(store.read_segment(k).mean(dims), anchor_mean, 1e-4, 1e-5))
        << "segment " << k;
  }
}

// The seam metric: the mean absolute difference between the last frame of a segment and the
// first new frame of the next is within 1.5x the clip's median frame-to-frame difference. On the
// random demo model this checks the mechanics (shared frame dropped, one causal decode across the
// seam, nothing out of order); docs/extension.md says what to expect with trained weights.
TEST(FarmRunCli, SeamsAreNoWorseThanTheClipsTypicalFrameChange) {
  ScratchDir dir("farm-seams");
  TinyJob job = write_tiny_job(dir.path(), {{"seams", 5}});
  {
    std::ifstream in(job.manifest);
    std::string yaml((std::istreambuf_iterator<char>(in)), {});
    const std::string frames = "frames: 5}";
    yaml.replace(yaml.rfind(frames), frames.size(), "frames: 17, formats: [png]}");
    std::ofstream(job.manifest) << yaml;
  }
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(job.output_root + "/seams")) {
    if (entry.path().extension() == ".png") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 17u);  // 4 segments of 5 frames, each later one sharing 1
  std::vector<double> changes;   // changes[i]: between frame i and frame i + 1
  at::Tensor previous = io::decode_image(files[0]).pixels;
  for (size_t i = 1; i < files.size(); ++i) {
    const at::Tensor frame = io::decode_image(files[i]).pixels;
    changes.push_back((frame - previous).abs().mean().item<double>());
    previous = frame;
  }
  std::vector<double> sorted = changes;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  ASSERT_GT(median, 0.0);
  for (size_t seam : {4u, 8u, 12u}) {  // frame 5, 9, 13 are the first new frames of segments 1-3
    EXPECT_LE(changes[seam], 1.5 * median)
        << "seam before frame " << seam + 1 << ": " << changes[seam] << " vs median " << median;
  }
}

// resources.task_timeout: a segment over its time is stopped at its next step boundary with its
// state stored, counted as a failed attempt ("timeout"), and retried from that state; with a
// limit no step can meet, every attempt gains one step and the asset fails after max_attempts,
// naming the limit, while the job goes on.
TEST(FarmRunCli, ATaskOverItsTimeoutIsStoppedRetriedFromItsStateThenFailed) {
  ScratchDir dir("farm-timeout");
  TinyJob job = write_tiny_job(dir.path(), {{"slow", 5}}, 8);
  {
    std::ofstream(job.manifest, std::ios::app)
        << "resources: {task_timeout: 0.001s, max_attempts: 3}\n";
  }
  const CommandResult result = run_job(job, "--checkpoint-every 100");
  EXPECT_EQ(result.exit_code, kExitAssetsFailed) << result.output;
  EXPECT_NE(result.output.find("over resources.task_timeout"), std::string::npos) << result.output;
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts WHERE error_type = 'timeout'"),
            3);
  // Each retry continued from the state the stop stored (not from step 0).
  const std::string log =
      run_command("cat " + shell_quote(job.state + "/logs/coordinator.log")).output;
  EXPECT_NE(log.find("slow/segment-000 resumed from its stored state at step 2"), std::string::npos)
      << log;
  EXPECT_NE(log.find("slow/segment-000 resumed from its stored state at step 3"), std::string::npos)
      << log;
}

TEST(FarmRunCli, AChangedPromptIsRefusedUntilForced) {
  ScratchDir dir("farm");
  TinyJob job = write_tiny_job(dir.path(), {{"one", 5}, {"two", 5}});
  ASSERT_EQ(run_job(job).exit_code, kExitSuccess);
  job = write_tiny_job(dir.path(), {{"one", 5}, {"two", 5, "girl.png", "a new prompt"}});
  const CommandResult refused = run_job(job);
  EXPECT_EQ(refused.exit_code, kExitBadInput) << refused.output;
  EXPECT_NE(refused.output.find("asset 'two'"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("prompt changed"), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find("asset 'one'"), std::string::npos) << refused.output;
  const CommandResult forced = run_job(job, "--force");
  ASSERT_EQ(forced.exit_code, kExitSuccess) << forced.output;
  // Only 'two' was redone: one segment and one assembly more than the first run's four tasks.
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'"), 6);
}

TEST(FarmRunCli, ABadManifestExitsThreeBeforeAnythingRuns) {
  ScratchDir dir("farm");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}});
  std::ofstream(job.manifest, std::ios::app) << "  - {id: two, image: missing.png, prompt: x}\n";
  const CommandResult result = run_job(job);
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("missing.png"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(job.output_root + "/one"));
}

TEST(FarmRunCli, StatusOfAFolderWithoutALedgerExitsThree) {
  ScratchDir dir("farm");
  const CommandResult result =
      run_command(kBinary + " status " + shell_quote(dir.path()) + " 2>&1");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("no job ledger"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace motionfarm::testing
