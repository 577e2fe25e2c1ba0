// `motionfarm run` with a two-expert preset (issue #14) on one CPU model group that holds one
// expert at a time (tiny-i2v-a14b, generated weights): each segment is a high-noise phase that
// parks its state in the asset's latent store and a low-noise phase that finishes it. With N
// assets and resources.phase_batch b the group loads at most ⌈N / b⌉ × 2 experts (the ledger and
// the log count them), every asset's final latents equal rendering that asset alone bitwise, and
// a job killed after a phase parked its asset resumes to the same latents.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "core/exit_codes.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = MOTIONFARM_BINARY;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The tiny job of farm_job_fixture.h on the two-expert test preset, `phase_batch` per group and
// at most `batch_max` assets per forward (1: no forward batching).
TinyJob write_expert_job(const std::string& folder, const std::vector<TinyAsset>& assets, int steps,
                         int phase_batch, int batch_max) {
  TinyJob job = write_tiny_job(folder, assets, steps, "experts");
  std::string yaml = read_text(job.manifest);
  const std::string demo = "model: {preset: demo-i2v, weights: random}";
  const size_t at = yaml.find(demo);
  EXPECT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, demo.size(), "model: {preset: tiny-i2v-a14b, weights: random}");
  yaml += "resources: {phase_batch: " + std::to_string(phase_batch) +
          ", batch_max: " + std::to_string(batch_max) + "}\n";
  std::ofstream(job.manifest) << yaml;
  return job;
}

std::vector<TinyAsset> five_assets() {
  std::vector<TinyAsset> assets;
  for (int i = 0; i < 5; ++i) {
    TinyAsset asset;
    asset.id = "shot" + std::to_string(i);
    asset.image = i % 2 == 0 ? "girl.png" : "snake.png";
    asset.prompt = i % 2 == 0 ? "she turns her head and smiles" : "the snake slides away";
    assets.push_back(asset);
  }
  return assets;
}

TEST(FarmExperts, PhaseBatchingBoundsTheExpertLoadsAndEachAssetEqualsItsSoloRender) {
  ScratchDir dir("farm-experts");
  const std::vector<TinyAsset> assets = five_assets();
  const int batch = 2;
  // One asset per forward: a forward over several assets may round differently (the forward
  // batching tests compare those against the same batch, farm_batching_test.cpp).
  const TinyJob job = write_expert_job(dir.path() + "/batch", assets, 4, batch, 1);
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("5 of 5 assets done, 0 failed"), std::string::npos) << result.output;

  // ⌈5 / 2⌉ × 2 = 6 at most; at least one load of each expert.
  const int64_t loads = ledger_integer(job.state, "SELECT COUNT(*) FROM expert_loads");
  EXPECT_LE(loads, (5 + batch - 1) / batch * 2);
  EXPECT_GE(loads, 2);
  EXPECT_EQ(
      ledger_integer(job.state, "SELECT COUNT(*) FROM expert_loads WHERE expert = 'high_noise'") +
          ledger_integer(job.state, "SELECT COUNT(*) FROM expert_loads WHERE expert = 'low_noise'"),
      loads);
  EXPECT_NE(result.output.find(std::to_string(loads) + " expert loads"), std::string::npos)
      << result.output;
  const std::string log = read_text(job.state + "/logs/coordinator.log");
  EXPECT_NE(log.find("group 0 loaded expert high_noise (expert load 1 of this run"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("group 0 loaded expert low_noise (expert load 2 of this run"),
            std::string::npos)
      << log;
  // Each segment: a high-noise phase that parked its asset, a low-noise phase that finished it.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM tasks WHERE kind = 'phase' AND task "
                           "LIKE '%/segment-000/high_noise'"),
            5);
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM tasks WHERE kind = 'segment' AND "
                           "task LIKE '%/segment-000/low_noise'"),
            5);
  const CommandResult status =
      run_command(kBinary + " status " + shell_quote(job.state) + " --json 2>&1");
  EXPECT_NE(status.output.find("\"segments_done\": 5"), std::string::npos) << status.output;

  const auto batched = finished_segment_latents(job.state);
  ASSERT_EQ(batched.size(), 5u);
  for (const TinyAsset& asset : assets) {
    EXPECT_TRUE(fs::exists(job.output_root + "/" + asset.id)) << asset.id;
    // The same asset in a job of its own: no batch, no other asset's phases in between.
    const TinyJob solo = write_expert_job(dir.path() + "/solo-" + asset.id, {asset}, 4, 1, 1);
    const CommandResult alone = run_job(solo);
    ASSERT_EQ(alone.exit_code, kExitSuccess) << alone.output;
    const auto expected = finished_segment_latents(solo.state);
    const std::string key = asset.id + "/segment_0";
    ASSERT_EQ(expected.count(key), 1u) << key;
    EXPECT_TRUE(batched.at(key) == expected.at(key)) << key << ": not bitwise equal";
  }
}

bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(FarmExperts, AKillAfterAPhaseParkedItsAssetResumesToTheSameLatents) {
  ScratchDir dir("farm-experts-kill");
  const std::vector<TinyAsset> assets = {five_assets()[0], five_assets()[1]};
  // 12 steps (the first 3 high-noise at the fixture's shift 3) and a state every step: phases
  // long enough for the kill to land between them.
  // Both assets share a forward (batch_max 2): the kill lands in a batched phase, and the rerun
  // re-forms the same batch.
  const TinyJob reference = write_expert_job(dir.path() + "/reference", assets, 12, 2, 2);
  const CommandResult uninterrupted = run_job(reference, "--checkpoint-every 1");
  ASSERT_EQ(uninterrupted.exit_code, kExitSuccess) << uninterrupted.output;
  const auto expected = finished_segment_latents(reference.state);
  ASSERT_EQ(expected.size(), 2u);

  const TinyJob job = write_expert_job(dir.path() + "/killed", assets, 12, 2, 2);
  const std::string command = farm_environment() + kBinary + " run " + shell_quote(job.manifest) +
                              " --state-dir " + shell_quote(job.state) + " --checkpoint-every 1";
  const CommandResult started =
      run_command("setsid sh -c " + shell_quote("exec env " + command) + " > " +
                  shell_quote(dir.path() + "/killed.log") + " 2>&1 & echo $!");
  const pid_t pid = std::atoi(started.output.c_str());
  ASSERT_GT(pid, 0) << started.output;
  // Killed as soon as the ledger says a high-noise phase parked its asset.
  const std::string parked_sql = "SELECT COUNT(*) FROM tasks WHERE kind = 'phase'";
  const auto start = std::chrono::steady_clock::now();
  bool hit = false;
  while (running(pid) && std::chrono::steady_clock::now() - start < std::chrono::minutes(2)) {
    if (ledger_or_zero(job.state, parked_sql) >= 1) {
      hit = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  while (running(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(hit) << read_text(dir.path() + "/killed.log");
  EXPECT_LT(ledger_integer(job.state, "SELECT COUNT(*) FROM tasks WHERE kind = 'segment'"), 2)
      << "the job finished before the kill";

  const CommandResult rerun = run_job(job, "--checkpoint-every 1");
  ASSERT_EQ(rerun.exit_code, kExitSuccess) << rerun.output;
  EXPECT_EQ(finished_segment_latents(job.state), expected);  // bitwise
  // The parked phase was kept, not redone: every task has exactly one successful attempt.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE "
                           "outcome = 'done' GROUP BY task HAVING COUNT(*) > 1)"),
            0);
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts WHERE outcome = 'done'"),
            2 * 3);
  // The rerun loaded the low-noise expert for the phase the killed run had parked.
  const std::string loads_this_run =
      "SELECT COUNT(*) FROM expert_loads WHERE run_id = (SELECT MAX(run_id) FROM runs)";
  EXPECT_GE(ledger_integer(job.state, loads_this_run + " AND expert = 'low_noise'"), 1);

  // A run killed after the low-noise phases stored their latents but before the ledger heard of
  // it (played by forgetting those tasks): the next run finds the results in the latent stores,
  // keeps them and loads no expert for them.
  {
    coordinator::SqliteDatabase ledger(coordinator::JobLedger::path_in(job.state),
                                       coordinator::SqliteDatabase::Mode::kReadWriteCreate);
    ledger.execute("DELETE FROM tasks WHERE task LIKE '%/low_noise'");
  }
  const CommandResult again = run_job(job);
  ASSERT_EQ(again.exit_code, kExitSuccess) << again.output;
  EXPECT_EQ(ledger_integer(job.state, loads_this_run), 0) << again.output;
  EXPECT_EQ(finished_segment_latents(job.state), expected);
}

}  // namespace
}  // namespace motionfarm::testing
