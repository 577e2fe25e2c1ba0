// Forward batching in `motionfarm run` (issue #7): assets with one batch key sample together, one
// DiT forward per step for the whole batch, on one CPU model group (the demo preset, generated
// weights). Each asset's latents are close to its render in a job without batching (a B > 1
// matmul rounds differently) and bitwise those of any run of the same batch; a member that fails
// fails alone while its mates finish; a batch that runs out of memory is retried smaller without
// using up anyone's attempts; Wan2.2 TI2V members keep their own first frames. Kill and resume of
// batched jobs: the farm_job_test MPI tests, which batch with the default batch_max.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/exit_codes.h"
#include "io/latent_store.h"
#include "rank/latent_checkpoint.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The tiny job with `resources: {batch_max: N}`.
TinyJob write_batched_job(const std::string& folder, const std::vector<TinyAsset>& assets,
                          int batch_max) {
  const TinyJob job = write_tiny_job(folder, assets, 4, "batched");
  std::ofstream(job.manifest, std::ios::app) << "resources: {batch_max: " << batch_max << "}\n";
  return job;
}

CommandResult run_with(const std::string& environment, const TinyJob& job) {
  return run_command(environment + " " + farm_environment() + MOTIONFARM_BINARY + " run " +
                     shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) +
                     " 2>&1");
}

// The largest difference between two float32 tensors stored as raw bytes.
double max_abs_difference(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t i = 0; i + sizeof(float) <= std::min(a.size(), b.size()); i += sizeof(float)) {
    float x = 0.0f, y = 0.0f;
    std::memcpy(&x, a.data() + i, sizeof(float));
    std::memcpy(&y, b.data() + i, sizeof(float));
    worst = std::max(worst, static_cast<double>(std::abs(x - y)));
  }
  return worst;
}

TEST(FarmBatching, SameShapeAssetsShareAForwardCloseToUnbatchedAndBitwiseRepeatable) {
  ScratchDir dir("farm-batching");
  // b0..b4: two segments each (one batch key); "long": three segments, a key of its own.
  std::vector<TinyAsset> assets;
  for (int i = 0; i < 5; ++i) {
    assets.push_back({"b" + std::to_string(i), 9, i % 2 ? "snake.png" : "girl.png",
                      i % 2 ? "the snake slides away" : "she turns her head and smiles"});
  }
  assets.push_back({"long", 13, "girl.png", "she turns her head and smiles"});

  const TinyJob job = write_batched_job(dir.path() + "/batched", assets, 3);
  const CommandResult result = run_job(job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("6 of 6 assets done, 0 failed"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("batching: 5 of 6 assets in 2 batches of up to 3"),
            std::string::npos)
      << result.output;
  const std::string log = read_text(job.state + "/logs/coordinator.log");
  for (const char* batch : {"batch of 3 to group 0: b0/segment-000, b1/segment-000, b2/segment-000",
                            "batch of 3 to group 0: b0/segment-001, b1/segment-001, b2/segment-001",
                            "batch of 2 to group 0: b3/segment-000, b4/segment-000"}) {
    EXPECT_NE(log.find(batch), std::string::npos) << batch << "\n" << log;
  }
  EXPECT_EQ(log.find("long/segment-000,"), std::string::npos) << "'long' has a key of its own";
  // Every segment attempt is recorded per asset, the batch's forward time shared among them.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE outcome = 'done' AND task LIKE "
                           "'%/segment-%'"),
            5 * 2 + 3);
  const auto batched = finished_segment_latents(job.state);
  ASSERT_EQ(batched.size(), 13u);

  // The same job again from scratch: the same batches, bitwise the same latents.
  const TinyJob again = write_batched_job(dir.path() + "/again", assets, 3);
  ASSERT_EQ(run_job(again).exit_code, kExitSuccess);
  EXPECT_TRUE(finished_segment_latents(again.state) == batched) << "not bitwise repeatable";

  // Without batching: each latent within float rounding of the batched one (the latents are
  // about unit scale; the differences measured here are 4e-6 to 7e-6 after 4 steps).
  const TinyJob alone = write_batched_job(dir.path() + "/alone", assets, 1);
  const CommandResult unbatched = run_job(alone);
  ASSERT_EQ(unbatched.exit_code, kExitSuccess) << unbatched.output;
  EXPECT_EQ(read_text(alone.state + "/logs/coordinator.log").find("batch of"), std::string::npos);
  const auto expected = finished_segment_latents(alone.state);
  ASSERT_EQ(expected.size(), batched.size());
  for (const auto& [key, latent] : expected) {
    ASSERT_EQ(batched.count(key), 1u) << key;
    EXPECT_LT(max_abs_difference(batched.at(key), latent), 1e-4) << key;
    if (key.rfind("long/", 0) == 0) {
      EXPECT_EQ(batched.at(key), latent) << key << " ran alone";
    }
  }
}

// A segment's final latents [1, z, T, h, w] as the job's latent store holds them.
at::Tensor stored_latents(const TinyJob& job, const std::string& asset, int segment) {
  const io::LatentStore store =
      io::LatentStore::open_unchecked(rank::latent_store_path(job.state + "/latents/" + asset));
  return store.read_segment(segment);
}

// Wan2.2 TI2V: each member's first latent frame is its own encoded image, put back before and
// after every step (per member, with per-token timesteps for the whole batch).
TEST(FarmBatching, Ti2vMembersKeepTheirOwnFirstFrame) {
  ScratchDir dir("farm-batching-ti2v");
  const std::vector<TinyAsset> assets = {{"t0", 9, "girl.png"},
                                         {"t1", 9, "snake.png", "the snake slides away"}};
  const auto write = [&](const std::string& name, int batch_max) {
    TinyJob job = write_batched_job(dir.path() + "/" + name, assets, batch_max);
    std::string yaml = read_text(job.manifest);
    const std::string demo = "preset: demo-i2v";
    yaml.replace(yaml.find(demo), demo.size(), "preset: tiny-ti2v");
    std::ofstream(job.manifest) << yaml;
    return job;
  };
  const TinyJob batched = write("batched", 2);
  const CommandResult result = run_job(batched);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(read_text(batched.state + "/logs/coordinator.log")
                .find("batch of 2 to group 0: t0/segment-000, t1/segment-000"),
            std::string::npos);
  const TinyJob alone = write("alone", 1);
  ASSERT_EQ(run_job(alone).exit_code, kExitSuccess);
  for (const char* asset : {"t0", "t1"}) {
    const at::Tensor mine = stored_latents(batched, asset, 0);
    const at::Tensor solo = stored_latents(alone, asset, 0);
    // The encoded image, exactly: the same in a batch and alone.
    EXPECT_TRUE(at::equal(mine.select(2, 0), solo.select(2, 0))) << asset;
    EXPECT_LT((mine - solo).abs().max().item<double>(), 1e-4) << asset;
  }
  // And not the other member's.
  EXPECT_FALSE(at::equal(stored_latents(batched, "t0", 0).select(2, 0),
                         stored_latents(batched, "t1", 0).select(2, 0)));
}

TEST(FarmBatching, AMemberThatFailsFailsAloneAndItsMatesFinishAsTheirOwnBatch) {
  ScratchDir dir("farm-batching-faults");
  const std::vector<TinyAsset> assets = {{"m0", 5, "girl.png"},
                                         {"m1", 5, "corrupt.png"},
                                         {"m2", 5, "snake.png", "the snake slides away"},
                                         {"m3", 5, "girl.png"}};
  const TinyJob job = write_batched_job(dir.path() + "/faulty", assets, 4);
  // m2's first attempt fails on purpose; m1's image never decodes.
  const CommandResult result = run_with("MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT=m2", job);
  EXPECT_EQ(result.exit_code, kExitAssetsFailed) << result.output;
  EXPECT_NE(result.output.find("3 of 4 assets done, 1 failed"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("failed m1: m1/segment-000 failed 3 times"), std::string::npos)
      << result.output;
  const std::string attempts = "SELECT COUNT(*) FROM attempts WHERE task = ";
  EXPECT_EQ(ledger_integer(job.state, attempts + "'m2/segment-000' AND outcome = 'failed'"), 1);
  EXPECT_EQ(ledger_integer(job.state, attempts + "'m1/segment-000' AND outcome = 'failed'"), 3);
  // Its mates were handed back unrun, not failed: no attempt of theirs was used up.
  EXPECT_EQ(ledger_integer(job.state, attempts + "'m0/segment-000' AND outcome = 'failed'"), 0);
  EXPECT_GE(ledger_integer(job.state, attempts + "'m0/segment-000' AND outcome = 'requeued'"), 3);
  EXPECT_NE(read_text(job.state + "/logs/coordinator.log")
                .find("batch of 3 to group 0: m0/segment-000, m2/segment-000, m3/segment-000"),
            std::string::npos);
  // The morning report counts m0's own tries only: its segment and its assembly, one each.
  const nlohmann::json summary =
      nlohmann::json::parse(read_text(job.output_root + "/summary.json"));
  for (const nlohmann::json& asset : summary.at("assets")) {
    if (asset.at("id") == "m0") {
      EXPECT_EQ(asset.at("attempts").get<int>(), 2) << asset.dump();
    }
  }

  // The good three ended as a batch of their own: bitwise a job of just them.
  const TinyJob good =
      write_batched_job(dir.path() + "/good", {assets[0], assets[2], assets[3]}, 4);
  ASSERT_EQ(run_job(good).exit_code, kExitSuccess);
  EXPECT_TRUE(finished_segment_latents(good.state) == finished_segment_latents(job.state));
}

TEST(FarmBatching, AnOutOfMemoryBatchIsRetriedSmallerWithoutUsingUpAttempts) {
  ScratchDir dir("farm-batching-oom");
  std::vector<TinyAsset> assets;
  for (int i = 0; i < 4; ++i) assets.push_back({"o" + std::to_string(i), 5, "girl.png"});
  const TinyJob job = write_batched_job(dir.path() + "/oom", assets, 4);
  // A batch of more than two members fails as out of memory (test hook, docs/farm.md).
  const CommandResult result = run_with("MOTIONFARM_TEST_BATCH_MEMORY=2", job);
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  const std::string log = read_text(job.state + "/logs/coordinator.log");
  EXPECT_NE(log.find("a batch of 4 ran out of memory on group 0: from now on 2 of its members run "
                     "together"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("batch of 2 to group 0: o0/segment-000, o1/segment-000"), std::string::npos);
  EXPECT_NE(log.find("batch of 2 to group 0: o2/segment-000, o3/segment-000"), std::string::npos);
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM attempts WHERE outcome = 'failed'"), 0);
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE outcome = 'requeued' "
                           "AND error_type = 'out-of-memory'"),
            4);
}

}  // namespace
}  // namespace motionfarm::testing
