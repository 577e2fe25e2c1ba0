// `motionfarm run` under mpirun with real ranks, on tiny demo-model jobs:
//   - the acceptance job: 20 assets of 1 to 4 segments on 4 ranks as 2 groups of 2 (cfg=2), one
//     corrupt image, one asset that fails its first attempt on purpose;
//   - kill -9 of the whole job at 6 points, each followed by a rerun: every segment's latents
//     equal the uninterrupted run's bitwise, and no finished task is done twice;
//   - SIGUSR1: the job stops at a step boundary with exit 75 and the rerun finishes it.
// Each test launches mpirun itself (so it can kill or signal it); the binary is a plain gtest.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "core/exit_codes.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kBinary = MOTIONFARM_BINARY;

std::string mpirun_command(int ranks, const TinyJob& job, const std::string& extra) {
  return farm_environment() + "mpirun -np " + std::to_string(ranks) + " --oversubscribe " +
         kBinary + " run " + shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) +
         " " + extra;
}

// A job started in its own session (setsid), so the whole of it — mpirun and every rank — can
// be signalled or killed by session id.
bool alive(pid_t pid);

class BackgroundJob {
 public:
  BackgroundJob(const std::string& command, const std::string& log) {
    const CommandResult started = run_command("setsid sh -c " + shell_quote("exec env " + command) +
                                              " > " + shell_quote(log) + " 2>&1 & echo $!");
    session_ = std::atoi(started.output.c_str());
  }
  ~BackgroundJob() {
    if (running()) kill_session();
  }
  // From /proc: a process that is gone or a zombie (nobody may reap it in a container) has ended.
  bool running() {
    if (!finished_) finished_ = !alive(session_);
    return !finished_;
  }
  // SIGKILL to every process of the session: mpirun and the ranks at once.
  void kill_session() {
    run_command("pkill -KILL -s " + std::to_string(session_));
    while (
        run_command("ps -s " + std::to_string(session_) + " -o stat= | grep -qv '^Z'").exit_code ==
        0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    finished_ = true;
  }
  pid_t pid() const { return session_; }

 private:
  pid_t session_ = 0;
  bool finished_ = false;
};

bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Waits until `ready` holds or `job` ends; true when `ready` held.
bool wait_until(BackgroundJob& job, const std::function<bool()>& ready, double timeout_s = 120) {
  const Clock::time_point start = Clock::now();
  while (job.running()) {
    if (ready()) return true;
    if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(FarmJob, AcceptanceTwentyAssetsOnTwoGroupsOfTwo) {
  ScratchDir dir("farm-acceptance");
  std::vector<TinyAsset> assets;
  for (int i = 0; i < 20; ++i) {
    TinyAsset asset;
    asset.id = "shot" + std::to_string(100 + i);
    asset.frames = 5 + 4 * (i % 4);  // 1, 2, 3, 4 segments
    asset.image = i % 2 ? "snake.png" : "girl.png";
    assets.push_back(asset);
  }
  assets[7].image = "corrupt.png";
  const TinyJob job = write_tiny_job(dir.path(), assets, 2);
  const CommandResult result = run_command("MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT=shot112 " +
                                           mpirun_command(4, job, "--layout cfg=2") + " 2>&1");
  EXPECT_EQ(result.exit_code, kExitAssetsFailed) << result.output;
  EXPECT_NE(result.output.find("19 of 20 assets done, 1 failed"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("failed shot107: shot107/segment-000 failed 3 times; last error: "
                               "image " +
                               job.folder + "/corrupt.png"),
            std::string::npos)
      << result.output;
  for (const TinyAsset& asset : assets) {
    if (asset.id == "shot107") continue;
    EXPECT_TRUE(fs::exists(job.output_root + "/" + asset.id)) << asset.id;
  }
  // The flaky asset failed once on purpose, then succeeded.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE asset_id = 'shot112' AND outcome "
                           "= 'failed' AND error LIKE 'failed on purpose%'"),
            1);
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM assets WHERE asset_id = 'shot112' "
                           "AND state = 'done'"),
            1);
  // Same-length assets sampled in batches of two (20 / (4 x 2 groups)), the corrupt shot107
  // with shot103: shot103 was handed back unrun while shot107 failed, then finished without it.
  const std::string log =
      run_command("cat " + shell_quote(job.state + "/logs/coordinator.log")).output;
  EXPECT_NE(log.find("batch of 2 to group"), std::string::npos) << log;
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE asset_id = 'shot103' AND outcome "
                           "= 'requeued'"),
            3);
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE asset_id = 'shot103' AND outcome "
                           "= 'failed'"),
            0);
  // Both groups rendered.
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(DISTINCT group_index) FROM attempts"), 2);
  const CommandResult status = run_command(kBinary + " status " + shell_quote(job.state));
  EXPECT_NE(status.output.find("19/20 assets done, 1 failed"), std::string::npos) << status.output;
}

TEST(FarmJob, KilledAtSixPointsAndRerunEqualsTheUninterruptedRunBitwise) {
  ScratchDir dir("farm-kill");
  const std::vector<TinyAsset> assets = {{"a", 9},  {"b", 17, "snake.png"}, {"c", 5},
                                         {"d", 13}, {"e", 9, "snake.png"},  {"f", 5}};
  // 8 steps: long enough that each kill point is reached while the job still runs. One group of
  // two ranks (Ulysses): its DiT forward is split over both, and the same-length assets (a and e,
  // c and f) sample as batches of two (docs/farm.md "Batching"), which a rerun must re-form.
  const std::string layout = " --layout ulysses=2";
  const TinyJob reference = write_tiny_job(dir.path() + "/reference", assets, 8);
  const CommandResult uninterrupted =
      run_command(mpirun_command(2, reference, "--progress-interval 1" + layout) + " 2>&1");
  ASSERT_EQ(uninterrupted.exit_code, kExitSuccess) << uninterrupted.output;
  const auto expected = finished_segment_latents(reference.state);
  ASSERT_EQ(expected.size(), 2u + 4u + 1u + 3u + 2u + 1u);

  const TinyJob job = write_tiny_job(dir.path() + "/killed", assets, 8);
  const std::string done_sql = "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'";
  // Kill points: after N finished tasks (cumulative over the runs), or in the middle of a
  // segment's sampling (a group past its first step).
  struct KillPoint {
    int64_t finished_tasks;
    bool mid_step;
  };
  const std::vector<KillPoint> points = {{0, true},  {3, false}, {5, true},
                                         {9, false}, {12, true}, {15, false}};
  int killed = 0;
  for (const KillPoint& point : points) {
    // A state every step: a kill inside a segment leaves a state to resume from at its step.
    BackgroundJob run(mpirun_command(2, job, "--checkpoint-every 1" + layout),
                      dir.path() + "/run.log");
    const bool hit = wait_until(run, [&] {
      if (ledger_or_zero(job.state, done_sql) < point.finished_tasks) return false;
      return !point.mid_step ||
             ledger_or_zero(job.state, "SELECT COUNT(*) FROM groups WHERE step >= 1") > 0;
    });
    if (hit) {
      run.kill_session();
      ++killed;
    }
  }
  EXPECT_GE(killed, 5) << "the job finished before enough kill points were reached";
  const CommandResult last =
      run_command(mpirun_command(2, job, "--checkpoint-every 1" + layout) + " 2>&1");
  ASSERT_EQ(last.exit_code, kExitSuccess) << last.output;
  // Segments continued from the states killed runs left inside them (the coordinator's log of
  // every run says where), and still ended bitwise equal to the uninterrupted run (below).
  const std::string log =
      run_command("cat " + shell_quote(job.state + "/logs/coordinator.log")).output;
  EXPECT_NE(log.find("resumed from its stored state at step"), std::string::npos) << log;
  EXPECT_NE(log.find("batch of 2 to group 0: a/segment-000, e/segment-000"), std::string::npos)
      << log;

  EXPECT_EQ(finished_segment_latents(job.state), expected);  // every segment's latents, bitwise
  // No finished task was done twice: each has exactly one successful attempt.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE "
                           "outcome = 'done' GROUP BY task HAVING COUNT(*) > 1)"),
            0);
  EXPECT_EQ(ledger_integer(job.state, done_sql), 13 + 6);
  for (const TinyAsset& asset : assets) {
    EXPECT_TRUE(fs::exists(job.output_root + "/" + asset.id)) << asset.id;
  }
}

// Crash safety (issue #12): SIGKILL at 20 moments drawn at random (fixed seed, so a failure
// replays), each followed by checks of what is on disk: every deliverable under its final name
// is whole (it decodes to its asset's full frame count), the ledger opens, and the next run picks
// up. The moments are drawn in terms of the job's progress, not wall time, so they land inside
// the job on a fast machine or a slow one: during start-up (ledger creation, model loading), in
// the middle of a segment's sampling at a random step, or just after a task finished (latents
// or a clip being written). The last run completes the job.
TEST(FarmJob, KilledAtTwentyRandomMomentsNeverLeavesATruncatedDeliverable) {
  ScratchDir dir("farm-random-kill");
  std::vector<TinyAsset> assets;
  // 20 assets: with forward batching (the default batch_max 4 batches same-length assets) fewer
  // would finish before the 20th kill.
  for (int i = 0; i < 20; ++i) {
    assets.push_back({"k" + std::to_string(i), 5 + 4 * (i % 3), i % 2 ? "snake.png" : "girl.png"});
  }
  const int steps = 6;
  const TinyJob job = write_tiny_job(dir.path(), assets, steps);
  std::map<std::string, int64_t> frames_of_asset;
  for (const TinyAsset& asset : assets) frames_of_asset[asset.id] = asset.frames;
  const std::string done_sql = "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'";
  std::mt19937 random(20261125);
  int killed = 0;
  for (int round = 0; round < 20; ++round) {
    const int64_t done_before = ledger_or_zero(job.state, done_sql);
    const int kind = std::uniform_int_distribution<int>(0, 2)(random);
    const int step = std::uniform_int_distribution<int>(1, steps - 1)(random);
    const int delay_ms = std::uniform_int_distribution<int>(0, 800)(random);
    BackgroundJob run(mpirun_command(2, job, ""), dir.path() + "/run.log");
    const Clock::time_point start = Clock::now();
    const bool hit = wait_until(run, [&] {
      switch (kind) {
        case 0:  // start-up
          return std::chrono::duration<double, std::milli>(Clock::now() - start).count() >=
                 delay_ms;
        case 1:  // inside a segment, after a random step
          return ledger_or_zero(job.state, "SELECT COUNT(*) FROM groups WHERE step >= " +
                                               std::to_string(step)) > 0;
        default:  // right after a task finished
          return ledger_or_zero(job.state, done_sql) > done_before;
      }
    });
    if (!hit) break;  // the job finished first: nothing left to kill
    run.kill_session();
    ++killed;
    // What a wrangler would find now.
    if (fs::exists(job.output_root)) {
      for (const auto& entry : fs::recursive_directory_iterator(job.output_root)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".mp4") continue;
        const std::string asset = entry.path().parent_path().filename().string();
        const CommandResult probe = run_command(
            "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
            "stream=nb_read_frames -of default=nw=1:nk=1 " +
            shell_quote(entry.path().string()) + " 2>&1");
        EXPECT_EQ(probe.output, std::to_string(frames_of_asset[asset]) + "\n")
            << "round " << round << ": " << entry.path()
            << " is under its final name but not whole";
      }
    }
    if (fs::exists(job.state + "/ledger.sqlite")) {
      EXPECT_NO_THROW(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts"))
          << "round " << round;
    }
  }
  EXPECT_EQ(killed, 20) << "the job finished before every kill: make it longer";
  const CommandResult last = run_command(mpirun_command(2, job, "") + " 2>&1");
  ASSERT_EQ(last.exit_code, kExitSuccess) << last.output;
  for (const TinyAsset& asset : assets) {
    EXPECT_TRUE(fs::exists(job.output_root + "/" + asset.id)) << asset.id;
  }
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE "
                           "outcome = 'done' GROUP BY task HAVING COUNT(*) > 1)"),
            0);
}

TEST(FarmJob, SigusrStopsAtAStepBoundaryWithSeventyFiveAndTheRerunFinishes) {
  ScratchDir dir("farm-signal");
  std::vector<TinyAsset> assets;
  for (int i = 0; i < 6; ++i) assets.push_back({"s" + std::to_string(i), 17});
  const TinyJob job = write_tiny_job(dir.path(), assets, 12);
  BackgroundJob run(mpirun_command(4, job, "--layout cfg=2"), dir.path() + "/run.log");
  ASSERT_TRUE(wait_until(run, [&] {
    return ledger_or_zero(job.state, "SELECT COUNT(*) FROM groups WHERE step >= 2") > 0;
  })) << "the job ended before a group reached step 2";
  // Each group's step when the signal goes out (the ledger is written at every step).
  int64_t step_at_signal[2];
  for (int group = 0; group < 2; ++group) {
    step_at_signal[group] = ledger_or_zero(
        job.state, "SELECT step FROM groups WHERE group_index = " + std::to_string(group));
  }
  ::kill(run.pid(), SIGUSR1);  // mpirun forwards it to every rank, as Slurm signals every task
  const Clock::time_point signalled = Clock::now();
  const bool ended = wait_until(
      run, [] { return false; }, 60);
  EXPECT_FALSE(ended);  // wait_until returns false when the job ends
  const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_LT(seconds, 20.0) << "the job did not stop promptly";
  const std::string log = run_command("cat " + shell_quote(dir.path() + "/run.log")).output;
  EXPECT_NE(log.find("stopped (signal"), std::string::npos) << log;
  EXPECT_EQ(ledger_integer(job.state, "SELECT exit_code FROM runs ORDER BY run_id LIMIT 1"),
            kExitPreempted);
  // Every interrupted attempt stopped at a step boundary before its last step.
  EXPECT_GE(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE outcome = 'interrupted' AND "
                           "error LIKE 'stopped at the step boundary after step %'"),
            1);
  // Within one sampling step per group: the step it stopped after is at most the one it was on
  // (the ledger may lag the step in flight by one) plus one.
  for (int group = 0; group < 2; ++group) {
    const int64_t stopped_after = ledger_integer(
        job.state,
        "SELECT COALESCE(MAX(CAST(substr(error, 41) AS INTEGER)), 0) FROM attempts WHERE "
        "outcome = 'interrupted' AND group_index = " +
            std::to_string(group));
    EXPECT_LE(stopped_after, step_at_signal[group] + 2) << "group " << group;
  }
  const CommandResult rerun = run_command(mpirun_command(4, job, "--layout cfg=2") + " 2>&1");
  ASSERT_EQ(rerun.exit_code, kExitSuccess) << rerun.output;
  EXPECT_NE(rerun.output.find("6 of 6 assets done"), std::string::npos) << rerun.output;
  // The stop wrote each interrupted segment's state at its step boundary; the rerun continued
  // from exactly there and ends bitwise where an uninterrupted run of the same job ends.
  EXPECT_NE(rerun.output.find("resumed from its stored state at step"), std::string::npos)
      << rerun.output;
  const TinyJob reference = write_tiny_job(dir.path() + "/reference", assets, 12);
  const CommandResult uninterrupted =
      run_command(mpirun_command(4, reference, "--layout cfg=2") + " 2>&1");
  ASSERT_EQ(uninterrupted.exit_code, kExitSuccess) << uninterrupted.output;
  const auto expected = finished_segment_latents(reference.state);
  EXPECT_EQ(expected.size(), 6u * 4u);
  EXPECT_EQ(finished_segment_latents(job.state), expected);
}

}  // namespace
}  // namespace motionfarm::testing
