// `motionfarm render` end to end with the generated demo model: the README's demo command writes
// a playable MP4 with exactly the requested frames and says it is untrained; bad input (a weights
// file in the wrong place, an over-length prompt, a frame count the VAE cannot take, a missing
// image) exits 3 with a message naming the file or option.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/exit_codes.h"
#include "rank/demo_model.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm {
namespace {

using testing::run_command;
using testing::shell_quote;

const std::string kBinary = MOTIONFARM_BINARY;

class RenderCli : public ::testing::Test {
 protected:
  // The commands below inherit the cache, so the demo model is generated once for all of them.
  static void SetUpTestSuite() { ::setenv("MOTIONFARM_DEMO_CACHE", MOTIONFARM_TEST_DEMO_CACHE, 1); }

  static std::string image() { return testing::shared_dir() + "/assets/i2v_input.jpg"; }
  static std::string demo_render(const std::string& out, const std::string& extra) {
    return kBinary + " render --demo --image " + shell_quote(image()) + " --out " +
           shell_quote(out) + " " + extra + " 2>&1";
  }
  static std::string probe(const std::string& path, const std::string& entries) {
    return run_command("ffprobe -v error -count_frames -select_streams v:0 -show_entries " +
                       entries + " -of default=nw=1:nk=1 " + shell_quote(path))
        .output;
  }
};

TEST_F(RenderCli, DemoRenderWritesAPlayableMp4WithTheRequestedFrames) {
  testing::ScratchDir folder("render");
  const std::string out = folder.file("clip.mp4");
  const auto result =
      run_command(demo_render(out,
                              "--prompt 'a girl smiles and turns her head toward the camera' "
                              "--frames 17 --threads 1"));
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("UNTRAINED model"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("wrote " + out + ": 17 frames"), std::string::npos) << result.output;
  // Decoded frame by frame: every frame is there and decodable.
  EXPECT_EQ(probe(out, "stream=nb_read_frames"), "17\n");
  EXPECT_EQ(probe(out, "stream=codec_name"), "h264\n");
  EXPECT_NE(probe(out, "format_tags=title").find("UNTRAINED DEMO MODEL"), std::string::npos);
}

TEST_F(RenderCli, AWeightsFileOfAnotherModuleExitsThreeNamingIt) {
  const rank::DemoModel demo = rank::ensure_demo_model();
  testing::ScratchDir folder("render");
  const auto result = run_command(demo_render(
      folder.file("clip.mp4"), "--prompt 'a dog runs' --dit " + shell_quote(demo.files.vae)));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("'" + demo.files.vae + "' (--dit) holds a Wan2.1 VAE"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("pass it as --vae"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(folder.file("clip.mp4")));
}

TEST_F(RenderCli, AnOverLengthPromptExitsThree) {
  testing::ScratchDir folder("render");
  std::string prompt;
  for (int i = 0; i < 30; ++i) prompt += "the camera slowly pans across a field ";
  const auto result =
      run_command(demo_render(folder.file("clip.mp4"), "--prompt " + shell_quote(prompt)));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("the model takes at most 64"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(folder.file("clip.mp4")));
}

TEST_F(RenderCli, AFrameCountThatIsNot4nPlus1ExitsThreeNamingTheOption) {
  testing::ScratchDir folder("render");
  const auto result =
      run_command(demo_render(folder.file("clip.mp4"), "--prompt 'a dog runs' --frames 16"));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("--frames 16 is not 4n+1"), std::string::npos) << result.output;
}

TEST_F(RenderCli, AMissingImageExitsThreeNamingTheFile) {
  testing::ScratchDir folder("render");
  const auto result = run_command(
      kBinary + " render --demo --image /nonexistent/plate.png --prompt 'a dog' --out " +
      shell_quote(folder.file("clip.mp4")) + " 2>&1");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("/nonexistent/plate.png"), std::string::npos) << result.output;
}

TEST_F(RenderCli, WithoutAPresetOrDemoTheMessageSaysWhatToPass) {
  const auto result = run_command(kBinary + " render --image x.png --prompt p --out c.mp4 2>&1");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("pass --preset NAME"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace motionfarm
