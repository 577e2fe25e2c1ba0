// The farm's assembly (SegmentRenderer::assemble) refuses what must never reach a deliverable:
// latents whose VAE decode is not finite (the error names the segment and latent frame), and an
// output folder swapped for a symlink out of the output root after the manifest was validated.
// Either way nothing is delivered and nothing is written outside the root.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "core/error.h"
#include "io/latent_store.h"
#include "rank/denoiser.h"
#include "rank/finite_check.h"
#include "rank/segment_renderer.h"
#include "tests/unit/rank/rank_test_support.h"

namespace motionfarm::rank {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;

// One 5-frame, 64x64 segment of demo latents [1, 16, 2, 8, 8] in a store, and the assembly task
// that delivers it as an MP4 under `root`/shots/.
struct Assembly {
  FarmTask task;
  std::string store_path;
};

Assembly one_segment_assembly(const std::string& folder, const std::string& root,
                              const at::Tensor& latents) {
  Assembly a;
  a.task.name = "shot/assembly";
  a.task.kind = FarmTaskKind::kAssembly;
  AssetRender& asset = a.task.asset;
  asset.id = "shot";
  asset.width = 64;
  asset.height = 64;
  asset.fps = 8;
  asset.segments = {{5, 0, 5}};
  asset.deliverables = {{"mp4", root + "/shots/shot.mp4", root, false}};
  a.store_path = folder + "/latents.h5";
  io::LatentStoreMeta meta;
  meta.identity.model_id = "demo-i2v";
  io::LatentStore store = io::LatentStore::create(a.store_path, meta);
  store.write_segment(0, latents);
  return a;
}

TEST(FarmAssembly, ANonFiniteVaeDecodeFailsNamingTheSegmentAndFrameAndDeliversNothing) {
  ScratchDir folder("assembly-nan");
  const std::string root = folder.file("out");
  at::Tensor latents = at::zeros({1, 16, 2, 8, 8});
  latents[0][3][1][4][4] = std::numeric_limits<float>::quiet_NaN();  // latent frame 2
  const Assembly a = one_segment_assembly(folder.path(), root, latents);
  ModelBundle bundle = testing::load_demo_bundle();
  const LocalDenoiser denoiser(bundle.dit());
  SegmentRenderer renderer(bundle, denoiser);
  try {
    renderer.assemble(a.task, io::LatentStore::open_unchecked(a.store_path));
    FAIL() << "a NaN latent was assembled into a deliverable";
  } catch (const NonFiniteError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("VAE decode of segment 0 of 'shot' (latent frame 2 "
                        "of 2)"),
              std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(fs::is_empty(root + "/shots")) << "the clip or its temporary was left in place";
}

TEST(FarmAssembly, AnOutputFolderSwappedForASymlinkAfterValidationIsRefused) {
  ScratchDir folder("assembly-link");
  ScratchDir outside("assembly-outside");
  const std::string root = folder.file("out");
  fs::create_directories(root + "/shots");  // as it was when the manifest was validated
  const Assembly a = one_segment_assembly(folder.path(), root, at::zeros({1, 16, 2, 8, 8}));
  fs::remove(root + "/shots");
  fs::create_directory_symlink(outside.path(), root + "/shots");
  ModelBundle bundle = testing::load_demo_bundle();
  const LocalDenoiser denoiser(bundle.dit());
  SegmentRenderer renderer(bundle, denoiser);
  try {
    renderer.assemble(a.task, io::LatentStore::open_unchecked(a.store_path));
    FAIL() << "the clip was written through a symlink out of the output root";
  } catch (const OutputPathError& error) {
    EXPECT_NE(std::string(error.what()).find(root + "/shots/shot.mp4"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("is a symlink to"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(fs::is_empty(outside.path())) << "something was written outside the output root";

  // The link removed, the same task delivers (a check that the refusal was the link's doing).
  fs::remove(root + "/shots");
  const std::vector<OutputRecord> records =
      renderer.assemble(a.task, io::LatentStore::open_unchecked(a.store_path));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(fs::exists(root + "/shots/shot.mp4"));
}

}  // namespace
}  // namespace motionfarm::rank
