// Resume at the exact step through the HDF5 latent store: a sampling run interrupted at several
// step boundaries, its state stored, read back and continued, ends bitwise where the uninterrupted
// run ends (Euler, UniPC, and the TI2V first-frame path); the store's identity and the rejection of
// a store that cannot be used; the checkpoint interval.
#include "rank/latent_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <tuple>

#include "core/error.h"
#include "model/sampler.h"
#include "rank/sampling_loop.h"
#include "tests/support/test_paths.h"

namespace motionfarm::rank {
namespace {

namespace fs = std::filesystem;

// A velocity that depends non-linearly on the latent and the timestep, so any difference in
// what a resumed run feeds it shows in the result.
at::Tensor toy_velocity(const at::Tensor& latent, double timestep) {
  return at::tanh(latent * 0.7) - latent * (timestep / 1000.0) + 0.05 * at::sin(latent * 3.0);
}

struct SamplingRun {
  at::Tensor noise;
  SamplingOptions options;
  ImageConditioning conditioning;
};

SamplingRun make_run(model::SamplerKind sampler, bool first_frame) {
  SamplingRun run;
  run.noise = at::randn({1, 4, 3, 4, 6}, at::TensorOptions().dtype(at::kFloat));
  run.options.sampler = sampler;
  run.options.schedule.num_steps = 8;
  run.options.schedule.shift = 5.0;
  if (first_frame) {
    run.conditioning.kind = ConditioningKind::kFirstFrameLatent;
    run.conditioning.first_frame_latent = at::randn({1, 4, 1, 4, 6});
  }
  return run;
}

io::LatentStoreIdentity test_identity() {
  AssetRender asset;
  asset.id = "fox";
  asset.prompt = "a fox";
  asset.segments = {{5, 0, 5}};
  return latent_store_identity(asset, "tiny-i2v");
}

class ResumeAtStep
    : public ::testing::TestWithParam<std::tuple<model::SamplerKind, bool /*first frame*/>> {};

TEST_P(ResumeAtStep, StoredStateContinuesBitwiseAtEveryBoundary) {
  const auto& [sampler, first_frame] = GetParam();
  at::manual_seed(7);
  const SamplingRun run = make_run(sampler, first_frame);
  const at::Tensor uninterrupted =
      sample_latents(&toy_velocity, run.noise, run.options, run.conditioning);

  testing::ScratchDir dir("resume");
  for (int64_t stop_after : {1, 2, 5, 7}) {
    const std::string path = dir.file("latents_" + std::to_string(stop_after) + ".h5");
    {
      io::LatentStore store = open_or_create_latent_store(path, test_identity());
      struct Stop {};
      try {
        sample_latents(&toy_velocity, run.noise, run.options, run.conditioning,
                       [&](int64_t step, const SamplingCheckpoint& after) {
                         if (step + 1 == stop_after) {
                           store.write_state(0, to_stored_state(after));
                           throw Stop{};
                         }
                       });
        FAIL() << "never stopped";
      } catch (const Stop&) {
      }
    }
    // A new process would start here: only the file carries the state.
    const io::LatentStore store = io::LatentStore::open(path, test_identity());
    const std::optional<io::SamplingState> state = store.read_state(0);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->step_index, stop_after);
    const SamplingCheckpoint resume = from_stored_state(*state);
    int64_t first_step_seen = -1;
    const at::Tensor resumed = sample_latents(
        &toy_velocity, run.noise, run.options, run.conditioning,
        [&](int64_t step, const SamplingCheckpoint&) {
          if (first_step_seen < 0) first_step_seen = step;
        },
        &resume);
    EXPECT_EQ(first_step_seen, stop_after) << "the resumed run must not redo a step";
    EXPECT_TRUE(at::equal(resumed, uninterrupted)) << "stopped after step " << stop_after;
  }
}

INSTANTIATE_TEST_SUITE_P(Samplers, ResumeAtStep,
                         ::testing::Combine(::testing::Values(model::SamplerKind::kEuler,
                                                              model::SamplerKind::kUniPC),
                                            ::testing::Bool()));

TEST(ResumeAtStep, AStateForAnotherScheduleIsRefused) {
  const SamplingRun run = make_run(model::SamplerKind::kUniPC, false);
  SamplingCheckpoint taken;
  sample_latents(&toy_velocity, run.noise, run.options, run.conditioning,
                 [&](int64_t step, const SamplingCheckpoint& after) {
                   if (step == 2) taken = after;
                 });
  SamplingOptions other = run.options;
  other.schedule.num_steps = 10;
  EXPECT_THROW(sample_latents(&toy_velocity, run.noise, other, run.conditioning, {}, &taken),
               CheckpointError);
  other = run.options;
  other.sampler = model::SamplerKind::kEuler;
  EXPECT_THROW(sample_latents(&toy_velocity, run.noise, other, run.conditioning, {}, &taken),
               CheckpointError);
}

TEST(LatentStoreIdentity, FollowsWhatChangesLatentsNotWhereTheyGo) {
  AssetRender asset;
  asset.id = "fox";
  asset.prompt = "a fox";
  asset.segments = {{5, 0, 5}};
  asset.deliverables = {{"mp4", "/out/fox.mp4"}};
  const io::LatentStoreIdentity base = latent_store_identity(asset, "tiny-i2v");
  AssetRender changed = asset;
  changed.deliverables.push_back({"webm", "/out/fox.webm"});
  changed.fps = 24;
  EXPECT_EQ(latent_store_identity(changed, "tiny-i2v").model_config_hash, base.model_config_hash);
  changed = asset;
  changed.prompt = "a fox runs";
  EXPECT_NE(latent_store_identity(changed, "tiny-i2v").prompt_hash, base.prompt_hash);
  changed = asset;
  changed.steps = 41;
  EXPECT_NE(latent_store_identity(changed, "tiny-i2v").model_config_hash, base.model_config_hash);
  changed = asset;
  changed.segments.push_back({5, 1, 4});
  EXPECT_NE(latent_store_identity(changed, "tiny-i2v").model_config_hash, base.model_config_hash);
  EXPECT_NE(latent_store_identity(asset, "tiny-flf2v").model_id, base.model_id);
}

TEST(LatentStoreOpen, AStoreThatCannotBeUsedIsSetAsideAndReplacedNamingWhy) {
  testing::ScratchDir dir("store-open");
  const std::string path = dir.file("latents.h5");
  {
    io::LatentStore store = open_or_create_latent_store(path, test_identity());
    store.write_segment(0, at::ones({1, 4, 2, 2, 2}));
  }
  // Written for another prompt: refused, kept aside, a fresh store in its place.
  AssetRender other;
  other.id = "fox";
  other.prompt = "a wolf";
  other.segments = {{5, 0, 5}};
  std::string problem;
  io::LatentStore replaced =
      open_or_create_latent_store(path, latent_store_identity(other, "tiny-i2v"), &problem);
  EXPECT_NE(problem.find("mismatch"), std::string::npos) << problem;
  EXPECT_TRUE(fs::exists(path + ".rejected"));
  EXPECT_TRUE(replaced.segment_indices().empty());

  // Truncated: refused the same way.
  replaced.write_segment(0, at::ones({1, 4, 2, 2, 2}));
  fs::resize_file(path, fs::file_size(path) / 3);
  open_or_create_latent_store(path, latent_store_identity(other, "tiny-i2v"), &problem);
  EXPECT_FALSE(problem.empty());
  EXPECT_NE(problem.find(path), std::string::npos) << problem;

  // Usable: opened as it is, no problem.
  io::LatentStore again =
      open_or_create_latent_store(path, latent_store_identity(other, "tiny-i2v"), &problem);
  EXPECT_TRUE(problem.empty()) << problem;
}

TEST(StateCheckpointer, WritesEveryKStepsAndAtAStopButNeverTheLastStep) {
  testing::ScratchDir dir("checkpointer");
  io::LatentStore store = open_or_create_latent_store(dir.file("latents.h5"), test_identity());
  SamplingCheckpoint after;
  after.sampler.sampler = "euler";
  after.sampler.num_steps = 10;
  after.sampler.shift = 5.0;
  after.latent = at::zeros({1, 4, 1, 2, 2});
  StateCheckpointer every_three(store, 0, 10, 3);
  for (int64_t step = 0; step < 10; ++step) {
    after.sampler.step_index = step + 1;
    every_three.after_step(step, after, /*stopping=*/step == 3);
  }
  // After steps 3, 4 (the stop), 6 and 9; not after step 10, the last.
  EXPECT_EQ(every_three.states_written(), 4);
  EXPECT_EQ(store.read_state(0)->step_index, 9);

  // Automatic: the first state is written after step 1 and measures the interval.
  StateCheckpointer automatic(store, 0, 10, 0);
  after.sampler.step_index = 1;
  automatic.after_step(0, after, false);
  EXPECT_EQ(automatic.states_written(), 1);
  EXPECT_GE(automatic.interval(), 1);
}

}  // namespace
}  // namespace motionfarm::rank
