// `bench calibrate`'s table rewrite: only the named kind's efficiency changes, comments and every
// other line stay; and a real (tiny) forward is timed and counted by the planner's model.
#include "coordinator/plan_calibration.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace motionfarm::coordinator {
namespace {

const char* const kTable = R"(# shipped estimates
infiniband_gb_s: 50
gpus:
  H100:
    bf16_tflops: 989
    efficiency: 0.40   # estimate
    memory_gib: 80
  CPU:
    bf16_tflops: 3
    efficiency: 0.30
)";

TEST(GpuTableCalibration, RewritesOnlyTheNamedKindsEfficiency) {
  const std::string updated = with_gpu_efficiency(kTable, "CPU", 0.1234);
  EXPECT_NE(updated.find("  CPU:\n    bf16_tflops: 3\n    efficiency: 0.123\n"), std::string::npos)
      << updated;
  EXPECT_NE(updated.find("    efficiency: 0.40   # estimate\n"), std::string::npos) << updated;
  const std::string h100 = with_gpu_efficiency(kTable, "H100", 0.395);
  EXPECT_NE(h100.find("    efficiency: 0.395  # estimate\n"), std::string::npos) << h100;
  EXPECT_NE(h100.find("    efficiency: 0.30\n"), std::string::npos) << h100;
}

TEST(GpuTableCalibration, RefusesAnUnknownKindOrAnImpossibleValue) {
  EXPECT_THROW(with_gpu_efficiency(kTable, "B200", 0.5), ConfigError);
  EXPECT_THROW(with_gpu_efficiency(kTable, "CPU", 1.5), ConfigError);
  EXPECT_THROW(with_gpu_efficiency(kTable, "CPU", 0.0), ConfigError);
}

TEST(GpuTableCalibration, TimesAForwardAndCountsItWithThePlannersModel) {
  CalibrationOptions options;
  options.preset = "tiny-t2v";
  options.latent_frames = 1;
  options.latent_height = 4;
  options.latent_width = 4;
  options.repeats = 1;
  const CalibrationResult result = calibrate_dit_forward(options);
  EXPECT_EQ(result.tokens, 4);  // 1 x (4/2) x (4/2) after the 1x2x2 patching
  EXPECT_GT(result.seconds, 0.0);
  EXPECT_GT(result.flops, 0.0);
  options.preset = "no-such-preset";
  EXPECT_THROW(calibrate_dit_forward(options), ConfigError);
}

}  // namespace
}  // namespace motionfarm::coordinator
