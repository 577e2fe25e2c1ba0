// Image conditioning in both public variants: the Wan2.1 I2V `y` (mask channels + the VAE latent
// of the image followed by zero frames) and CLIP tokens, the first+last-frame mask, and the
// Wan2.2 TI2V first latent frame with its per-token timesteps, re-applied after every step.
#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "io/image_decoder.h"
#include "io/image_fit.h"
#include "rank/denoiser.h"
#include "rank/generated_weights.h"
#include "rank/i2v_pipeline.h"
#include "rank/image_conditioning.h"
#include "tests/unit/rank/rank_test_support.h"

namespace motionfarm::rank {
namespace {

using testing::demo_model;
using testing::small_request;

TEST(ConditioningMask, FirstFrameFillsTheFirstLatentFrameOnly) {
  const at::Tensor mask = conditioning_mask(17, 4, 3, 2, /*last_frame=*/false);
  ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{4, 5, 3, 2}));
  EXPECT_TRUE(at::equal(mask.select(1, 0), at::ones({4, 3, 2})));
  EXPECT_TRUE(at::equal(mask.narrow(1, 1, 4), at::zeros({4, 4, 3, 2})));
}

TEST(ConditioningMask, LastFrameSetsOnlyTheLastChannelOfTheLastLatentFrame) {
  // As the reference builds it: the last pixel frame is the 4th of the last latent frame's four.
  const at::Tensor mask = conditioning_mask(9, 4, 1, 1, /*last_frame=*/true);
  ASSERT_EQ(mask.sizes(), (std::vector<int64_t>{4, 3, 1, 1}));
  const at::Tensor expected =
      at::tensor({1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 0.f, 1.f, 0.f, 1.f}).view({4, 3, 1, 1});
  EXPECT_TRUE(at::equal(mask, expected)) << mask.flatten();
}

TEST(LatentShape, RejectsFrameCountsAndSizesTheModelCannotTake) {
  const ModelPreset& preset = demo_model().preset;
  const LatentShape shape = latent_shape_for(preset, 17, {64, 48});
  EXPECT_EQ(shape.sizes(), (std::vector<int64_t>{1, 16, 5, 6, 8}));
  try {
    latent_shape_for(preset, 16, {64, 48});
    FAIL() << "16 frames accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("--frames 16 is not 4n+1"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("use 13 or 17"), std::string::npos) << error.what();
  }
  try {
    latent_shape_for(preset, 17, {70, 48});
    FAIL() << "width 70 accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("multiples of 16"), std::string::npos) << error.what();
  }
}

TEST(I2vConditioning, YIsMaskPlusImageLatentAndClipTokensComeWithIt) {
  ModelBundle bundle = testing::load_demo_bundle();
  const io::FrameSize size{64, 48};
  const at::Tensor image =
      io::fit_image(io::decode_image(small_request("").image).pixels, size, io::FitOptions{});
  const ImageConditioning c = encode_image_conditioning(bundle, image, at::Tensor(), 17);

  // y: [1, 4 + 16, T = 5, h = 6, w = 8]; mask channels 1 on the first latent frame only.
  ASSERT_EQ(c.y.sizes(), (std::vector<int64_t>{1, 20, 5, 6, 8}));
  EXPECT_TRUE(at::equal(c.y.narrow(1, 0, 4), conditioning_mask(17, 4, 6, 8, false).unsqueeze(0)));
  // The latent part is the VAE's encoding of the image followed by 16 zero frames.
  at::Tensor video = at::zeros({1, 3, 17, 48, 64});
  video.select(2, 0).copy_(image.unsqueeze(0));
  EXPECT_TRUE(at::equal(c.y.narrow(1, 4, 16), bundle.vae().encode(video)));
  // CLIP: one image's tokens at the DiT's feature width.
  ASSERT_EQ(c.clip_fea.sizes(),
            (std::vector<int64_t>{1, demo_model().preset.image_encoder->tokens(), 1280}));
  EXPECT_TRUE(at::equal(c.clip_fea, bundle.image_encoder()->encode(image.unsqueeze(0))));
  EXPECT_FALSE(c.first_frame_latent.defined());
  EXPECT_THROW(encode_image_conditioning(bundle, image, image, 17), InputError);
}

TEST(Flf2vConditioning, BothFramesAreMaskedEncodedAndSeenByClip) {
  // The demo model with the first+last-frame DiT layout: its image position table needs 257 CLIP
  // tokens per image, so the tower runs at 224 px here.
  motionfarm::testing::ScratchDir folder("flf2v");
  ModelPreset preset = demo_model().preset;
  preset.name = "demo-flf2v";
  preset.dit.model_type = "flf2v";
  preset.image_encoder->image_size = 224;
  preset.validate();
  ModelFiles files = ModelFiles::in_folder(folder.path(), preset);
  files.tokenizer = demo_model().files.tokenizer;
  write_generated_weights(preset, files, GeneratedWeightsOptions{});
  ModelBundle bundle = ModelBundle::load(preset, files);
  const LocalDenoiser denoiser(bundle.dit());
  I2VPipeline pipeline(bundle, denoiser);

  RenderRequest request = small_request(folder.file("unused.mp4"));
  request.frames = 9;
  request.last_image = motionfarm::testing::shared_dir() + "/assets/snake.png";
  request.steps = 2;
  StageTimings timings;
  const PreparedRender prepared = pipeline.prepare(request, timings);
  const ImageConditioning& c = prepared.conditioning;
  ASSERT_EQ(c.y.sizes(), (std::vector<int64_t>{1, 20, 3, 6, 8}));
  EXPECT_TRUE(at::equal(c.y.narrow(1, 0, 4), conditioning_mask(9, 4, 6, 8, true).unsqueeze(0)));
  ASSERT_EQ(c.clip_fea.sizes(), (std::vector<int64_t>{2, 257, 1280}));
  const at::Tensor latent = pipeline.sample(prepared, request);
  EXPECT_EQ(latent.sizes(), (std::vector<int64_t>{1, 16, 3, 6, 8}));
  EXPECT_TRUE(at::isfinite(latent).all().item<bool>());

  request.last_image.clear();
  EXPECT_THROW(pipeline.prepare(request, timings), InputError);
}

TEST(Ti2vTimesteps, FirstFrameTokensAtZeroOthersAndPaddingAtT) {
  const LatentShape latent{48, 3, 4, 6};  // 2 x 3 tokens per frame, 18 tokens
  const at::Tensor t = first_frame_token_timesteps(latent, 2, 837.0, /*sequence_multiple=*/4);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{1, 20}));
  EXPECT_TRUE(at::equal(t.narrow(1, 0, 6), at::zeros({1, 6})));
  EXPECT_TRUE(at::equal(t.narrow(1, 6, 14), at::full({1, 14}, 837.0f)));
}

// Records what the DiT is given, then runs it.
class RecordingDenoiser final : public DenoiserBackend {
 public:
  explicit RecordingDenoiser(const model::WanDiT& dit) : local_(dit) {}
  const model::WanDiTConfig& config() const override { return local_.config(); }
  at::Tensor forward(const model::DiTInputs& inputs) const override {
    timesteps.push_back(inputs.t.clone());
    return local_.forward(inputs);
  }
  mutable std::vector<at::Tensor> timesteps;

 private:
  LocalDenoiser local_;
};

TEST(Ti2vConditioning, FirstLatentFrameIsTheEncodedImageAfterEveryStep) {
  motionfarm::testing::ScratchDir folder("ti2v");
  const ModelPreset preset = testing::tiny_ti2v_preset();
  ModelBundle bundle = ModelBundle::load(preset, testing::generate_tiny_ti2v_files(folder.path()));
  const RecordingDenoiser denoiser(bundle.dit());
  I2VPipeline pipeline(bundle, denoiser);

  RenderRequest request = small_request(folder.file("unused.mp4"));
  request.prompt = "a dog runs";  // the tiny model takes 16 tokens
  request.size = io::FrameSize{64, 96};
  request.frames = 9;
  request.guidance = 1.0;  // one DiT call per step
  StageTimings timings;
  const PreparedRender prepared = pipeline.prepare(request, timings);
  const at::Tensor& z = prepared.conditioning.first_frame_latent;
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{1, 48, 1, 6, 4}));
  EXPECT_FALSE(prepared.conditioning.y.defined());
  EXPECT_FALSE(prepared.conditioning.clip_fea.defined());

  int64_t steps_seen = 0;
  const at::Tensor latent =
      pipeline.sample(prepared, request, [&](int64_t, const SamplingCheckpoint& after) {
        const at::Tensor& current = after.latent;
        ++steps_seen;
        EXPECT_TRUE(at::equal(current.narrow(2, 0, 1), z)) << "after step " << steps_seen;
      });
  EXPECT_EQ(steps_seen, request.steps);
  EXPECT_TRUE(at::equal(latent.narrow(2, 0, 1), z));
  // The other frames were sampled: not the noise, not the image.
  EXPECT_FALSE(at::equal(latent.narrow(2, 1, 2), prepared.noise.narrow(2, 1, 2)));

  // Every call got one timestep per token: 0 on the first frame's 3 x 2 tokens, t elsewhere.
  ASSERT_EQ(static_cast<int64_t>(denoiser.timesteps.size()), request.steps);
  for (const at::Tensor& t : denoiser.timesteps) {
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{1, 3 * 6}));
    EXPECT_TRUE(at::equal(t.narrow(1, 0, 6), at::zeros({1, 6})));
    EXPECT_GT(t[0][6].item<float>(), 0.0f);
    EXPECT_TRUE(at::equal(t.narrow(1, 6, 12), at::full({1, 12}, t[0][6].item<float>())));
  }
}

}  // namespace
}  // namespace motionfarm::rank
