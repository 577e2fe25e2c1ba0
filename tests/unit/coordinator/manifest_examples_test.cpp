// The shipped examples in configs/examples/ validate cleanly: the reference job with fixture
// plates in place of a studio's, and the demo job as it is (it uses ../shared/assets).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator/manifest_reader.h"
#include "tests/support/test_paths.h"
#include "tests/unit/coordinator/manifest_fixtures.h"

namespace motionfarm::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::describe;

std::string examples_dir() { return testing::source_dir() + "/configs/examples"; }

TEST(ManifestExamples, ReferenceJobValidatesWithFixturePlates) {
  testing::ScratchDir dir("manifest-example");
  fs::copy_file(examples_dir() + "/job.yaml", dir.file("job.yaml"));
  fs::copy_file(examples_dir() + "/shots.csv", dir.file("shots.csv"));
  // The plates the example names (relative to its folder), as small real PNGs.
  for (const char* plate :
       {"plates/meadow.png", "plates/birds_01.png", "plates/birds_02.png", "plates/birds_03.png",
        "stills/harbour.png", "stills/market.png", "stills/lighthouse.png"}) {
    testing::write_file(dir.file(plate), testing::png_bytes(96, 64));
  }
  ManifestOptions options;
  options.check_weights = false;  // the example names a studio's weight folder
  options.world_size = 8;
  const ManifestReport report = read_manifest(dir.file("job.yaml"), options);
  ASSERT_TRUE(report.can_run()) << describe(report);
  EXPECT_EQ(report.job.assets.size(), 8u) << describe(report);
  EXPECT_TRUE(report.job.layout.has_value());
  // Each asset is fully decided.
  for (const AssetSpec& asset : report.job.assets) {
    EXPECT_FALSE(asset.segments.empty()) << asset.id;
    EXPECT_GT(asset.width, 0) << asset.id;
    EXPECT_EQ(asset.width % report.job.model.facts.spatial_stride, 0) << asset.id;
  }
}

TEST(ManifestExamples, DemoJobValidatesAsShipped) {
  if (!fs::exists(testing::shared_dir() + "/assets/girl.png")) {
    GTEST_SKIP() << "../shared/assets is not beside this checkout";
  }
  // The demo names ../shared/assets relative to its own folder, which assumes the checkout's
  // layout; MOTIONFARM_SHARED_DIR elsewhere would need the demo moved too.
  const ManifestReport report = read_manifest(examples_dir() + "/demo.yaml");
  ASSERT_TRUE(report.can_run()) << describe(report);
  EXPECT_GE(report.job.assets.size(), 3u);
  EXPECT_EQ(report.job.model.preset, "demo-i2v");
}

}  // namespace
}  // namespace motionfarm::coordinator
