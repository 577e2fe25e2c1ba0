// The Wan2.2 models through the command line, on generated tiny weights laid out as the public
// releases are (sharded DiTs with index and config.json):
//   - TI2V (tiny-ti2v, the Wan2.2 VAE): `motionfarm render` keeps the first frame on the input
//     image as the model sees it. With untrained weights the VAE cannot reproduce a photo, so the
//     best any clip can do is the VAE's own round trip of the fitted image, decode(encode(image));
//     the test asserts that the first decoded frame equals that round trip within a mean of
//     1.0 8-bit levels (PNG output, lossless). Were the conditioning not put back after every
//     step, the sampler would move the first latent frame and the frame would be tens of levels
//     away (checked once by disabling the re-application in rank/sampling_loop.cpp).
//   - two experts (tiny-i2v-a14b): a clip comes out, each expert taking its steps.
//   - `motionfarm model inspect FOLDER` names the preset, the experts and their shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "core/config_paths.h"
#include "core/exit_codes.h"
#include "io/image_decoder.h"
#include "io/image_fit.h"
#include "rank/demo_model.h"
#include "rank/generated_weights.h"
#include "rank/model_bundle.h"
#include "rank/model_preset.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::shell_quote;

const std::string kBinary = MOTIONFARM_BINARY;

std::string input_image() { return testing::shared_dir() + "/assets/i2v_input.jpg"; }

// `preset`'s generated release in `folder`, tokenizer included.
rank::ModelFiles generate_release(const std::string& preset_name, const std::string& folder) {
  const rank::ModelPreset preset = rank::load_model_preset(preset_name);
  rank::GeneratedWeightsOptions options;
  options.seed = 11;
  const rank::ModelFiles files = rank::write_generated_release(preset, folder, options);
  rank::train_sentencepiece(core::find_config_file("demo/tokenizer_corpus.txt"), files.tokenizer,
                            preset.text_encoder.vocab);
  return files;
}

// The first PNG of a frame folder, sorted by name.
std::string first_frame(const std::string& folder) {
  std::vector<std::string> frames;
  for (const auto& entry : fs::directory_iterator(folder)) frames.push_back(entry.path().string());
  std::sort(frames.begin(), frames.end());
  return frames.empty() ? "" : frames.front();
}

TEST(Wan22Cli, Ti2vRenderKeepsTheFirstFrameOnTheImage) {
  testing::ScratchDir weights("ti2v-weights");
  generate_release("tiny-ti2v", weights.path());
  testing::ScratchDir out("ti2v-out");
  const std::string frames = out.file("frames");
  const io::FrameSize size{96, 64};  // multiples of tiny-ti2v's stride, 16 x 2
  const auto result = run_command(
      kBinary + " render --preset tiny-ti2v --weights " + shell_quote(weights.path()) +
      " --image " + shell_quote(input_image()) +
      " --prompt 'a girl smiles' --frames 5 --size 96x64 --steps 4 --shift 3 --threads 1 --out " +
      shell_quote(frames) + " 2>&1");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("wrote " + frames + ": 5 frames at 96x64"), std::string::npos)
      << result.output;

  // The reference: the fitted image through this model's VAE, encode then decode.
  const rank::ModelPreset preset = rank::load_model_preset("tiny-ti2v");
  const rank::ModelBundle bundle =
      rank::ModelBundle::load(preset, rank::ModelFiles::in_folder(weights.path(), preset));
  io::FitOptions fit;
  fit.stride = preset.spatial_stride();
  const at::Tensor image = io::fit_image(io::decode_image(input_image()).pixels, size, fit);
  const at::Tensor latent = bundle.vae().encode(image.unsqueeze(0).unsqueeze(2));
  const at::Tensor round_trip = bundle.vae().decode(latent).select(2, 0)[0].clamp(-1.0, 1.0);

  const at::Tensor rendered = io::decode_image(first_frame(frames)).pixels;
  ASSERT_EQ(rendered.sizes(), round_trip.sizes());
  // Mean absolute difference in 8-bit levels ([-1, 1] spans 255 levels).
  const double levels = (rendered - round_trip).abs().mean().item<double>() * 127.5;
  const double to_input = (rendered - image).abs().mean().item<double>() * 127.5;
  EXPECT_LE(levels, 1.0) << "first frame vs the VAE round trip of the image: " << levels
                         << " levels (vs the image itself: " << to_input << ")";
  std::cout << "first frame: " << levels << " 8-bit levels from the VAE round trip, " << to_input
            << " from the fitted image\n";
}

TEST(Wan22Cli, TwoExpertRenderWritesAClip) {
  testing::ScratchDir weights("a14b-weights");
  generate_release("tiny-i2v-a14b", weights.path());
  testing::ScratchDir out("a14b-out");
  const std::string clip = out.file("clip.mp4");
  const auto result =
      run_command(kBinary + " render --preset tiny-i2v-a14b --weights " +
                  shell_quote(weights.path()) + " --image " + shell_quote(input_image()) +
                  " --prompt 'a girl smiles' --frames 5 --size 64x48 --threads 1 "
                  "--out " +
                  shell_quote(clip) + " 2>&1");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("wrote " + clip + ": 5 frames at 64x48"), std::string::npos)
      << result.output;
  // The preset's 6 steps at shift 5: t = 999, 961, 908 for the high-noise expert (>= 900).
  EXPECT_NE(result.output.find("expert high_noise: steps 1-3 (3), guidance 4"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("expert low_noise: steps 4-6 (3), guidance 3"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("loaded DiT high_noise"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("loaded DiT low_noise"), std::string::npos) << result.output;
  EXPECT_EQ(run_command("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                        "stream=nb_read_frames -of default=nw=1:nk=1 " +
                        shell_quote(clip))
                .output,
            "5\n");

  // --dit cannot stand for two experts.
  const auto refused = run_command(
      kBinary + " render --preset tiny-i2v-a14b --weights " + shell_quote(weights.path()) +
      " --dit " + shell_quote(weights.file("high_noise_model")) + " --image " +
      shell_quote(input_image()) + " --prompt p --frames 5 --size 64x48 --out " +
      shell_quote(out.file("no.mp4")) + " 2>&1");
  EXPECT_EQ(refused.exit_code, kExitBadInput) << refused.output;
  EXPECT_NE(refused.output.find("--dit does not apply to preset 'tiny-i2v-a14b'"),
            std::string::npos)
      << refused.output;
}

TEST(Wan22Cli, ModelInspectNamesTheReleaseLayout) {
  testing::ScratchDir weights("a14b-weights");
  generate_release("tiny-i2v-a14b", weights.path());
  auto result = run_command(kBinary + " model inspect " + shell_quote(weights.path()) + " 2>&1");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("preset      tiny-i2v-a14b\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("expert      high_noise: high_noise_model/, 2 shards"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("expert      low_noise: low_noise_model/, 2 shards"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("problems    none"), std::string::npos) << result.output;

  fs::remove(weights.file("models_t5_umt5-xxl-enc-bf16.safetensors"));
  result = run_command(kBinary + " model inspect " + shell_quote(weights.path()) + " 2>&1");
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.output;
  EXPECT_NE(result.output.find("text encoder: missing models_t5_umt5-xxl-enc-bf16.safetensors"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace motionfarm
