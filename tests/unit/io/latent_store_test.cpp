// The latent store's contract: what is written reads back bitwise (every dtype, with and without
// compression), segments and states replace each other as the render advances, the file opens
// with h5dump, and the checkpoint interval keeps the overhead in budget.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "core/error.h"
#include "io/checkpoint_interval.h"
#include "io/latent_store.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/latent_store_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using namespace latent_store_test;
using motionfarm::testing::run_command;
using motionfarm::testing::ScratchDir;
using motionfarm::testing::shell_quote;

TEST(LatentStore, CreateThenOpenKeepsTheMeta) {
  ScratchDir scratch("store");
  const std::string path = scratch.file("asset.h5");
  LatentStore::create(path, meta());
  const LatentStore store = LatentStore::open(path, identity());
  EXPECT_EQ(store.meta().format_version, kLatentStoreFormatVersion);
  EXPECT_EQ(store.meta().identity.model_id, identity().model_id);
  EXPECT_EQ(store.meta().identity.model_config_hash, identity().model_config_hash);
  EXPECT_EQ(store.meta().identity.seed, identity().seed);
  EXPECT_EQ(store.meta().identity.prompt_hash, identity().prompt_hash);
  EXPECT_EQ(store.meta().motionfarm_version, core::build_info().version);
  EXPECT_EQ(store.meta().extra, meta().extra);
  EXPECT_TRUE(store.segment_indices().empty());
}

class LatentStoreDtypes
    : public ::testing::TestWithParam<std::tuple<at::ScalarType, int /*compression*/>> {};

TEST_P(LatentStoreDtypes, SegmentRoundTripsBitwise) {
  const auto [dtype, compression] = GetParam();
  ScratchDir scratch("store");
  const std::string path = scratch.file("asset.h5");
  LatentStoreOptions options;
  options.tensors.compression_level = compression;
  options.tensors.chunk_bytes = 4096;  // several chunks, so chunking is exercised
  LatentStore store = LatentStore::create(path, meta(), options);
  // NaN and infinities too: the store keeps bytes, not values.
  at::Tensor latents = tagged_latent(3.0, dtype);
  latents.view(-1)[5] = std::numeric_limits<double>::quiet_NaN();
  latents.view(-1)[7] = -std::numeric_limits<double>::infinity();
  store.write_segment(0, latents);

  const LatentStore reopened = LatentStore::open(path, identity());
  ASSERT_TRUE(reopened.has_complete_segment(0));
  const at::Tensor read = reopened.read_segment(0);
  EXPECT_TRUE(bitwise_equal(read, latents)) << read.scalar_type() << " " << read.sizes();
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, LatentStoreDtypes,
                         ::testing::Combine(::testing::Values(at::kFloat, at::kHalf, at::kBFloat16,
                                                              at::kDouble),
                                            ::testing::Values(0, 4)));

TEST(LatentStore, OddShapesRoundTrip) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  const at::Tensor scalar = at::full({}, 2.5, at::kFloat);
  const at::Tensor empty = at::zeros({4, 0, 3}, at::kFloat);
  const at::Tensor strided = tagged_latent(1.0).transpose(0, 3);  // not contiguous
  store.write_segment(0, scalar);
  store.write_segment(1, empty);
  store.write_segment(2, strided);
  const LatentStore reopened = LatentStore::open(store.path(), identity());
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(0), scalar));
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(1), empty));
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(2), strided));
}

TEST(LatentStore, StateRoundTripsEveryField) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  EXPECT_FALSE(store.read_state(0).has_value());
  const SamplingState written = tagged_state(7);
  store.write_state(0, written);

  const LatentStore reopened = LatentStore::open(store.path(), identity());
  EXPECT_TRUE(reopened.has_state(0));
  EXPECT_FALSE(reopened.has_complete_segment(0));
  const std::optional<SamplingState> read = reopened.read_state(0);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->sampler, "unipc");
  EXPECT_EQ(read->num_steps, 10);
  EXPECT_EQ(read->shift, 5.0);
  EXPECT_EQ(read->step_index, 7);
  EXPECT_TRUE(bitwise_equal(read->latent, written.latent));
  ASSERT_EQ(read->model_outputs.size(), 2u);
  EXPECT_TRUE(bitwise_equal(read->model_outputs[0], written.model_outputs[0]));
  EXPECT_TRUE(bitwise_equal(read->model_outputs[1], written.model_outputs[1]));
  EXPECT_TRUE(bitwise_equal(read->last_sample, written.last_sample));
}

TEST(LatentStore, StateWithoutHistoryOrLastSample) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  SamplingState euler = tagged_state(0);
  euler.sampler = "euler";
  store.write_state(4, euler);
  const std::optional<SamplingState> read =
      LatentStore::open(store.path(), identity()).read_state(4);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->sampler, "euler");
  EXPECT_TRUE(read->model_outputs.empty());
  EXPECT_FALSE(read->last_sample.defined());
}

TEST(LatentStore, ChainAdvancesStateBySegment) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  store.write_segment(0, tagged_latent(0.0));
  store.write_state(1, tagged_state(3));
  store.write_state(1, tagged_state(6));  // replaces step 3
  {
    const LatentStore reopened = LatentStore::open(store.path(), identity());
    EXPECT_EQ(reopened.segment_indices(), (std::vector<int>{0, 1}));
    EXPECT_EQ(reopened.read_state(1)->step_index, 6);
    EXPECT_TRUE(bitwise_equal(reopened.read_segment(0), tagged_latent(0.0)));
  }
  // Finishing segment 1 drops its state; segment 0 is kept as it was.
  store.write_segment(1, tagged_latent(1.0));
  const LatentStore reopened = LatentStore::open(store.path(), identity());
  EXPECT_FALSE(reopened.has_state(1));
  EXPECT_FALSE(reopened.read_state(1).has_value());
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(0), tagged_latent(0.0)));
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(1), tagged_latent(1.0)));
  // Rewrites do not leave temporaries or grow the file with dead data.
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
  const auto size_before = fs::file_size(store.path());
  store.write_segment(1, tagged_latent(1.0));
  EXPECT_EQ(fs::file_size(store.path()), size_before);
}

TEST(LatentStore, DiscardRemovesTheSegment) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  store.write_segment(0, tagged_latent(0.0));
  store.write_segment(1, tagged_latent(1.0));
  store.discard_segment(0);
  const LatentStore reopened = LatentStore::open(store.path(), identity());
  EXPECT_EQ(reopened.segment_indices(), std::vector<int>{1});
  EXPECT_THROW(reopened.read_segment(0), CheckpointError);
}

TEST(LatentStore, CallerMistakesAreNotCheckpointErrors) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  store.write_segment(0, tagged_latent(0.0));
  // Not CheckpointError: the rank must not "recompute" its way around its own bug.
  try {
    store.write_state(0, tagged_state(2));
    FAIL() << "a state for a complete segment was accepted";
  } catch (const CheckpointError&) {
    FAIL() << "reported as a damaged checkpoint";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("already complete"), std::string::npos);
  }
  SamplingState bad = tagged_state(2);
  bad.step_index = 11;
  EXPECT_THROW(store.write_state(1, bad), Error);
  EXPECT_THROW(store.write_segment(1000, tagged_latent(0.0)), Error);
  EXPECT_THROW(store.write_segment(1, tagged_latent(0.0, at::kInt)), CheckpointError);
}

TEST(LatentStore, InspectReportsEverySegmentAndState) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  store.write_segment(0, tagged_latent(0.0, at::kBFloat16));
  store.write_state(1, tagged_state(4));
  const std::vector<SegmentReport> reports = LatentStore::open_unchecked(store.path()).inspect();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].index, 0);
  EXPECT_TRUE(reports[0].complete);
  EXPECT_TRUE(reports[0].latents_verified) << reports[0].problem;
  EXPECT_EQ(reports[0].dtype, "bfloat16");
  EXPECT_EQ(reports[0].shape, (std::vector<int64_t>{16, 3, 8, 12}));
  EXPECT_FALSE(reports[0].state.has_value());
  EXPECT_FALSE(reports[1].complete);
  ASSERT_TRUE(reports[1].state.has_value());
  EXPECT_TRUE(reports[1].state->verified) << reports[1].state->problem;
  EXPECT_EQ(reports[1].state->step_index, 4);
  EXPECT_EQ(reports[1].state->num_steps, 10);
  EXPECT_EQ(reports[1].state->sampler, "unipc");
  EXPECT_EQ(reports[1].state->history_length, 2);
}

TEST(LatentStore, H5dumpShowsTheLayout) {
  ScratchDir scratch("store");
  LatentStore store = LatentStore::create(scratch.file("asset.h5"), meta());
  store.write_segment(0, tagged_latent(0.0, at::kHalf));
  store.write_state(1, tagged_state(4));
  const auto result = run_command("h5dump -H " + shell_quote(store.path()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* expected :
       {"GROUP \"meta\"", "ATTRIBUTE \"model_id\"", "ATTRIBUTE \"format_version\"",
        "GROUP \"extra\"", "ATTRIBUTE \"asset_id\"", "GROUP \"segments\"", "GROUP \"000\"",
        "DATASET \"latents\"", "ATTRIBUTE \"xxh64\"", "GROUP \"001\"", "GROUP \"state\"",
        "DATASET \"latent\"", "GROUP \"history\"", "DATASET \"last_sample\"",
        "ATTRIBUTE \"step_index\"", "H5T_IEEE_F32LE", "DATASPACE  SIMPLE { ( 16, 3, 8, 12 )"}) {
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << " not in:\n"
                                                               << result.output;
  }
  // A string attribute prints as text, so a person can read the meta with h5dump -a.
  const auto model = run_command("h5dump -a /meta/model_id " + shell_quote(store.path()));
  EXPECT_NE(model.output.find("\"wan2.1-i2v-14b-480p\""), std::string::npos) << model.output;
}

TEST(CheckpointInterval, KeepsTheOverheadWithinBudget) {
  // 20 s steps, 1 s checkpoint, 1% budget: every 5 steps costs 1 s per 100 s.
  EXPECT_EQ(checkpoint_interval_steps(20.0, 1.0), 5);
  EXPECT_EQ(checkpoint_interval_steps(20.0, 1.1), 6);
  EXPECT_EQ(checkpoint_interval_steps(50.0, 0.5), 1);  // exactly 1%, not rounded up to 2
  EXPECT_EQ(checkpoint_interval_steps(20.0, 0.0), 1);
  EXPECT_EQ(checkpoint_interval_steps(1.0, 1.0, 0.5), 2);
  for (double step : {0.3, 2.0, 45.0}) {
    for (double checkpoint : {0.01, 0.7, 9.0}) {
      const int64_t k = checkpoint_interval_steps(step, checkpoint);
      EXPECT_LE(checkpoint, 0.01 * k * step * (1 + 1e-9)) << step << " " << checkpoint;
      if (k > 1) {
        EXPECT_GT(checkpoint, 0.01 * (k - 1) * step) << "not the smallest K";
      }
    }
  }
  EXPECT_THROW(checkpoint_interval_steps(0.0, 1.0), Error);
  EXPECT_THROW(checkpoint_interval_steps(1.0, -1.0), Error);
  EXPECT_THROW(checkpoint_interval_steps(1.0, 1.0, 0.0), Error);
}

}  // namespace
}  // namespace motionfarm::io
