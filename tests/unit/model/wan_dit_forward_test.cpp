// Properties of the DiT forward that the golden cases do not pin down: i2v/flf2v inputs,
// batching, per-token timesteps, input validation.
#include "model/wan_dit.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/time_embedding.h"
#include "model/wan_dit_weights.h"
#include "tests/unit/model/golden_dit.h"

namespace motionfarm::model {
namespace {

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  return at::randn(shape, at::make_generator<at::CPUGeneratorImpl>(seed), at::kFloat);
}

// A random-weight model of `preset` and inputs for a [F, H, W] latent of `batch` samples.
struct Case {
  WanDiT model;
  DiTInputs inputs;
};

Case make_case(const std::string& preset, int64_t batch, uint64_t seed) {
  const WanDiTConfig config = load_dit_preset(preset);
  Case c{WanDiT(config, WanDiTWeights::random(config, seed)), DiTInputs{}};
  const int64_t latent_channels = config.has_image_branch() ? config.out_dim : config.in_dim;
  c.inputs.x = randn({batch, latent_channels, 3, 4, 6}, seed + 1);
  c.inputs.t = at::full({batch}, 700.0);
  c.inputs.context = randn({batch, 5, config.text_dim}, seed + 2);
  if (config.has_image_branch()) {
    c.inputs.y = randn({batch, config.in_dim - config.out_dim, 3, 4, 6}, seed + 3);
    c.inputs.clip_fea = randn({batch, 257, kClipFeatureDim}, seed + 4);
  }
  return c;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(WanDiTForward, I2VRunsAndNeedsYAndClipFeatures) {
  Case c = make_case("tiny-i2v", 1, 11);
  const at::Tensor out = c.model.forward(c.inputs);
  EXPECT_EQ(out.sizes(), (at::IntArrayRef{1, 16, 3, 4, 6}));
  EXPECT_TRUE(out.isfinite().all().item<bool>());

  // Both conditioning inputs reach the output.
  DiTInputs other_clip = c.inputs;
  other_clip.clip_fea = randn({1, 257, kClipFeatureDim}, 99);
  EXPECT_GT(max_abs_diff(c.model.forward(other_clip), out), 1e-4);
  DiTInputs other_y = c.inputs;
  other_y.y = randn({1, 20, 3, 4, 6}, 98);
  EXPECT_GT(max_abs_diff(c.model.forward(other_y), out), 1e-4);

  DiTInputs no_y = c.inputs;
  no_y.y.reset();
  try {
    c.model.forward(no_y);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("needs y"), std::string::npos) << error.what();
  }
  DiTInputs no_clip = c.inputs;
  no_clip.clip_fea.reset();
  try {
    c.model.forward(no_clip);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("needs clip_fea"), std::string::npos) << error.what();
  }
}

TEST(WanDiTForward, Flf2VTakesTwoImagesOfClipTokens) {
  WanDiTConfig config = load_dit_preset("tiny-i2v");
  config.model_type = "flf2v";
  const WanDiT model(config, WanDiTWeights::random(config, 5));
  Case c = make_case("tiny-i2v", 1, 12);
  c.inputs.clip_fea = randn({2, 257, kClipFeatureDim}, 13);  // first and last frame
  EXPECT_EQ(model.forward(c.inputs).sizes(), (at::IntArrayRef{1, 16, 3, 4, 6}));
  c.inputs.clip_fea = randn({1, 257, kClipFeatureDim}, 13);
  EXPECT_THROW(model.forward(c.inputs), ModelError);
}

TEST(WanDiTForward, BatchOfTwoEqualsTwoSingleRuns) {
  Case c = make_case("tiny-t2v", 2, 21);
  c.inputs.t = at::tensor({900.0f, 15.0f});
  const at::Tensor batched = c.model.forward(c.inputs);
  for (int64_t b = 0; b < 2; ++b) {
    DiTInputs single;
    single.x = c.inputs.x.narrow(0, b, 1);
    single.t = c.inputs.t.narrow(0, b, 1);
    single.context = c.inputs.context.narrow(0, b, 1);
    testing::expect_matches_reference(batched.narrow(0, b, 1), c.model.forward(single), 1e-5);
  }
}

// When every token shares its t, the forward embeds it once and broadcasts; embedding it per token
// (what Wan2.2's model does) and running the blocks on that must give the same output.
TEST(WanDiTForward, SharedTimestepBroadcastEqualsPerTokenEmbedding) {
  Case c = make_case("tiny-ti2v", 1, 31);
  const WanDiT& model = c.model;
  const DiTPrepared prepared = model.prepare(c.inputs);
  ASSERT_EQ(prepared.e.size(1), 1);  // computed once
  const int64_t tokens = prepared.grid.tokens();

  const TimeEmbedding per_token = embed_timesteps(
      model.weights().embeddings().time, c.inputs.t.view({1, 1}).expand({1, tokens}).contiguous(),
      model.config().freq_dim);
  ASSERT_EQ(per_token.e0.sizes(), (at::IntArrayRef{1, tokens, 6, model.config().dim}));
  BlockInputs inputs = prepared.block_inputs;
  inputs.e0 = per_token.e0;
  at::Tensor x = prepared.tokens;
  for (int64_t i = 0; i < model.config().num_layers; ++i) x = model.run_block(i, x, inputs);
  const at::Tensor expanded = model.unpatchify(model.head(x, per_token.e), prepared.grid);

  // Equal up to rounding: the per-token embedding's matmuls have other shapes, which BLAS may
  // block differently (1 float ulp at the output's magnitude, 1.2e-6, seen on one AVX-512 machine).
  testing::expect_matches_reference(expanded, model.forward(c.inputs), 5e-6);
  DiTInputs per_token_t = c.inputs;
  per_token_t.t = at::full({1, tokens}, 700.0);
  EXPECT_TRUE(at::equal(model.forward(per_token_t), model.forward(c.inputs)));
}

TEST(WanDiTForward, PerTokenTimestepsDifferFromShared) {
  Case c = make_case("tiny-ti2v", 1, 41);
  const at::Tensor shared = c.model.forward(c.inputs);
  DiTInputs first_frame_clean = c.inputs;
  first_frame_clean.t = at::full({1, 3 * 2 * 3}, 700.0);
  first_frame_clean.t.narrow(1, 0, 6).zero_();  // the first latent frame's 2x3 tokens
  EXPECT_EQ(c.model.prepare(first_frame_clean).e.size(1), 18);
  EXPECT_GT(max_abs_diff(c.model.forward(first_frame_clean), shared), 1e-4);
}

TEST(WanDiTForward, InputsThatDoNotFitAreRejected) {
  Case c = make_case("tiny-t2v", 1, 51);
  DiTInputs bad = c.inputs;
  bad.context = randn({1, 40, 64}, 1);  // text_len is 32
  EXPECT_THROW(c.model.forward(bad), ModelError);
  bad = c.inputs;
  bad.x = randn({1, 16, 3, 5, 6}, 1);  // 5 rows do not split into 2x2 patches
  EXPECT_THROW(c.model.forward(bad), ModelError);
  bad = c.inputs;
  bad.t = at::full({1, 10}, 5.0);  // fewer per-token timesteps than the 18 tokens
  EXPECT_THROW(c.model.forward(bad), ModelError);
  bad = c.inputs;
  bad.clip_fea = randn({1, 257, kClipFeatureDim}, 1);  // t2v has no image branch
  EXPECT_THROW(c.model.forward(bad), ModelError);
  bad = c.inputs;
  bad.x = randn({1, 12, 3, 4, 6}, 1);
  EXPECT_THROW(c.model.forward(bad), ModelError);
}

}  // namespace
}  // namespace motionfarm::model
