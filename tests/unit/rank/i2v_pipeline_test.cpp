// The pipeline on the demo model: a render is a pure function of its request (same seed, same
// latents, bitwise), NaN/Inf stops it with the step named and no deliverable, and a finished
// render reports its stages and writes every requested frame.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "core/error.h"
#include "io/video_writer.h"
#include "rank/denoiser.h"
#include "rank/finite_check.h"
#include "rank/i2v_pipeline.h"
#include "rank/latent_to_video.h"
#include "tests/unit/rank/rank_test_support.h"

namespace motionfarm::rank {
namespace {

using testing::load_demo_bundle;
using testing::small_request;

at::Tensor sample_once(ModelBundle& bundle, const RenderRequest& request) {
  const LocalDenoiser denoiser(bundle.dit());
  I2VPipeline pipeline(bundle, denoiser);
  StageTimings timings;
  return pipeline.sample(pipeline.prepare(request, timings), request);
}

TEST(I2vPipeline, SameSeedGivesBitwiseEqualLatents) {
  ModelBundle bundle = load_demo_bundle();
  RenderRequest request = small_request("");
  const at::Tensor first = sample_once(bundle, request);
  const at::Tensor second = sample_once(bundle, request);
  ASSERT_EQ(first.sizes(), (std::vector<int64_t>{1, 16, 2, 6, 8}));
  EXPECT_TRUE(at::equal(first, second));

  request.seed += 1;
  EXPECT_FALSE(at::equal(first, sample_once(bundle, request)));
  request.seed -= 1;
  request.asset_id = "another-asset";  // the asset id is part of the noise key
  EXPECT_FALSE(at::equal(first, sample_once(bundle, request)));
}

// Returns NaN from its `poisoned_call`-th forward (1-based), the real velocity otherwise.
class PoisonedDenoiser final : public DenoiserBackend {
 public:
  PoisonedDenoiser(const model::WanDiT& dit, int poisoned_call)
      : local_(dit), poisoned_call_(poisoned_call) {}
  const model::WanDiTConfig& config() const override { return local_.config(); }
  at::Tensor forward(const model::DiTInputs& inputs) const override {
    at::Tensor v = local_.forward(inputs);
    if (++calls_ == poisoned_call_) v.view(-1)[3] = std::numeric_limits<float>::quiet_NaN();
    return v;
  }

 private:
  LocalDenoiser local_;
  int poisoned_call_;
  mutable int calls_ = 0;
};

TEST(I2vPipeline, NanInTheVelocityStopsTheRenderNamingTheStep) {
  motionfarm::testing::ScratchDir folder("nan");
  ModelBundle bundle = load_demo_bundle();
  RenderRequest request = small_request(folder.file("clip.mp4"));
  request.steps = 4;
  request.guidance = 1.0;  // one forward per step: call 3 is step 3
  const PoisonedDenoiser denoiser(bundle.dit(), 3);
  I2VPipeline pipeline(bundle, denoiser);
  try {
    pipeline.render(request);
    FAIL() << "a NaN velocity was rendered";
  } catch (const NonFiniteError& error) {
    EXPECT_NE(std::string(error.what()).find("sampling step 3 of 4"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(folder.path())) << "something was written";
}

TEST(I2vPipeline, NanInADecodedChunkIsNeverEncoded) {
  motionfarm::testing::ScratchDir folder("nan-decode");
  ModelBundle bundle = load_demo_bundle();
  at::Tensor latents = at::zeros({1, 16, 3, 2, 2});
  latents[0][5][2][1][1] = std::numeric_limits<float>::infinity();
  io::VideoWriterOptions options;
  options.width = 16;
  options.height = 16;
  const std::string path = folder.file("clip.mp4");
  {
    io::VideoWriter writer(path, options);
    try {
      decode_into_writer(bundle.vae(), latents, writer);
      FAIL() << "a non-finite latent was decoded into the clip";
    } catch (const NonFiniteError& error) {
      EXPECT_NE(std::string(error.what()).find("VAE decode of latent frames 3-3 of 3"),
                std::string::npos)
          << error.what();
    }
    EXPECT_EQ(writer.frames_written(), 5);  // latent frames 1 and 2 only
  }
  EXPECT_TRUE(std::filesystem::is_empty(folder.path())) << "the unfinished clip was kept";
}

TEST(I2vPipeline, RenderWritesEveryFrameAndReportsItsStages) {
  motionfarm::testing::ScratchDir folder("render");
  ModelBundle bundle = load_demo_bundle();
  const LocalDenoiser denoiser(bundle.dit());
  I2VPipeline pipeline(bundle, denoiser);
  RenderRequest request = small_request(folder.file("clip"));
  request.frames = 9;
  request.output.format = io::OutputFormat::PngSequence;
  const RenderResult result = pipeline.render(request);
  EXPECT_EQ(result.frames, 9);
  EXPECT_EQ(result.output_path, folder.file("clip"));
  int64_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(result.output_path)) {
    files += entry.path().extension() == ".png";
  }
  EXPECT_EQ(files, 9);
  EXPECT_EQ(result.latent.sizes(), (std::vector<int64_t>{1, 16, 3, 6, 8}));
  for (const double seconds : {result.seconds.text, result.seconds.image, result.seconds.sample,
                               result.seconds.decode, result.seconds.encode}) {
    EXPECT_GT(seconds, 0.0);
  }
  EXPECT_GT(result.seconds.load, 0.0);
  EXPECT_GT(result.peak_resident_bytes, int64_t{50} << 20);
  EXPECT_NE(result.untrained_label.find("untrained"), std::string::npos);
}

TEST(I2vPipeline, OverLengthPromptIsRejected) {
  ModelBundle bundle = load_demo_bundle();
  RenderRequest request = small_request("");
  request.prompt.clear();
  for (int i = 0; i < 40; ++i) request.prompt += "a red fox runs through fresh snow ";
  const LocalDenoiser denoiser(bundle.dit());
  I2VPipeline pipeline(bundle, denoiser);
  StageTimings timings;
  try {
    pipeline.prepare(request, timings);
    FAIL() << "an over-length prompt was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("the model takes at most 64"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace motionfarm::rank
