// `motionfarm validate` end to end: what a pipeline engineer sees and the exit codes scripts use.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/exit_codes.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"
#include "tests/unit/coordinator/manifest_fixtures.h"

namespace motionfarm {
namespace {

using testing::run_command;
using testing::shell_quote;

const std::string kBinary = MOTIONFARM_BINARY;

class ValidateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(dir_.file("plates/a.png"), testing::png_bytes(64, 48));
  }
  std::string manifest(const std::string& yaml) {
    testing::write_file(dir_.file("job.yaml"), yaml);
    return shell_quote(dir_.file("job.yaml"));
  }
  testing::ScratchDir dir_{"validate-cli"};
};

constexpr char kGood[] =
    "job: spring\n"
    "output: {root: renders}\n"
    "model: {preset: tiny-i2v, weights: random}\n"
    "parallel: {layout: cfg=2}\n"
    "assets:\n"
    "  - {id: a, image: plates/a.png, prompt: grass sways, duration: 5s}\n";

TEST_F(ValidateCli, GoodJobExitsZeroWithASummary) {
  const auto result = run_command(kBinary + " validate " + manifest(kGood) + " --assets");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("OK: job 'spring', 1 asset (3 segments, 40 frames), model "
                               "tiny-i2v, layout cfg=2,tp=1,ulysses=1,ring=1"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("32x16"), std::string::npos) << result.output;  // --assets
}

TEST_F(ValidateCli, EveryProblemIsPrintedWithItsPositionAndExitIsThree) {
  const std::string yaml =
      "job: spring\n"
      "output: {root: renders, naming: \"{asset}_{sed}\"}\n"
      "model: {preset: tiny-i2v, weights: random}\n"
      "assets:\n"
      "  - {id: a, image: plates/missing.png, prompt: p, fps: fast}\n";
  const auto result = run_command(kBinary + " validate " + manifest(yaml));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("job.yaml:2:42: unknown field {sed} in output.naming (did you "
                               "mean 'seed'?)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("job.yaml:5:20: image "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("job.yaml:5:56: 'fps' must be a number, got 'fast'"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("3 problems; the job cannot run"), std::string::npos)
      << result.output;
}

TEST_F(ValidateCli, RanksOptionChecksTheLayout) {
  const auto result = run_command(kBinary + " validate " + manifest(kGood) + " --ranks 3");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("job.yaml:4:20: layout cfg=2 does not fit tiny-i2v"),
            std::string::npos)
      << result.output;
}

TEST_F(ValidateCli, MissingManifestIsBadInputAndMissingArgumentIsUsage) {
  const auto missing = run_command(kBinary + " validate " + shell_quote(dir_.file("nope.yaml")));
  EXPECT_EQ(missing.exit_code, kExitBadInput) << missing.output;
  EXPECT_NE(missing.output.find("nope.yaml: no such file"), std::string::npos) << missing.output;
  const auto usage = run_command(kBinary + " validate");
  EXPECT_EQ(usage.exit_code, kExitUsage) << usage.output;
}

TEST_F(ValidateCli, ShippedDemoValidates) {
  if (!std::filesystem::exists(testing::shared_dir() + "/assets/girl.png")) {
    GTEST_SKIP() << "../shared/assets is not beside this checkout";
  }
  const auto result = run_command(
      kBinary + " validate " + shell_quote(testing::source_dir() + "/configs/examples/demo.yaml"));
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
}

}  // namespace
}  // namespace motionfarm
