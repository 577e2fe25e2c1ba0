// A good manifest resolves to exactly the assets it describes: explicit, glob and CSV sources,
// defaults and overrides in the documented order, derived seeds, auto resolution and segments.
#include <gtest/gtest.h>

#include <filesystem>

#include "coordinator/asset_plan.h"
#include "coordinator/manifest_reader.h"
#include "coordinator/manifest_resolve.h"
#include "tests/support/test_paths.h"
#include "tests/unit/coordinator/manifest_fixtures.h"

namespace motionfarm::coordinator {
namespace {

using testing::describe;
using testing::png_bytes;
using testing::write_file;

class ManifestResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("hero.png"), png_bytes(64, 48));
    write_file(dir_.file("plates/birds_1.png"), png_bytes(48, 64));
    write_file(dir_.file("plates/birds_2.png"), png_bytes(32, 32));
    write_file(dir_.file("plates/notes.txt"), "not matched by the glob");
    write_file(dir_.file("lists/stills/car.png"), png_bytes(96, 32));
    write_file(dir_.file("lists/shots.csv"),
               "id,image,prompt,seed,fps,formats\n"
               "car-pass,stills/car.png,\"the car drives past, fast\",42,16,\"webm;gif\"\n"
               "# a comment line\n"
               "car-slow,stills/car.png,the car creeps,,,\n");
    write_file(dir_.file("job.yaml"), R"(job: spring
seed: 7
output:
  root: out
  naming: "{job}/{asset}_{seed}"
model:
  preset: tiny-i2v
  weights: random
sampler:
  name: euler
  steps: 12
  negative_prompt: blurry
resources:
  max_attempts: 5
  task_timeout: 30m
defaults:
  fps: 8
  duration: 2s
  formats: [mp4]
  extension:
    renoise: 0.25
assets:
  - id: hero
    image: hero.png
    prompt: "the hero turns"
    seed: 1234
    resolution: 64x48
    frames: 40
    priority: 10
    steps: 30
    extension:
      segment_frames: 13
  - glob: "plates/birds_*.png"
    prompt: birds take off
    guidance: 3.5
  - csv: lists/shots.csv
    duration: 1s
)");
  }

  const AssetSpec& asset(const Job& job, const std::string& id) {
    for (const AssetSpec& spec : job.assets) {
      if (spec.id == id) return spec;
    }
    throw std::runtime_error("no asset " + id);
  }

  testing::ScratchDir dir_{"manifest-resolve"};
};

TEST_F(ManifestResolve, JobLevelSettings) {
  const ManifestReport report = read_manifest(dir_.file("job.yaml"));
  ASSERT_TRUE(report.can_run()) << describe(report);
  const Job& job = report.job;
  EXPECT_EQ(job.name, "spring");
  EXPECT_EQ(job.job_seed, 7u);
  EXPECT_EQ(job.output.root, dir_.file("out"));
  EXPECT_EQ(job.output.naming, "{job}/{asset}_{seed}");
  EXPECT_EQ(job.model.preset, "tiny-i2v");
  EXPECT_EQ(job.model.facts.spatial_stride, 16);
  EXPECT_EQ(job.model.facts.num_heads, 4);
  EXPECT_TRUE(job.model.weights.random);
  EXPECT_FALSE(job.layout.has_value());
  EXPECT_EQ(job.sampler.name, "euler");
  EXPECT_EQ(job.sampler.steps, 12);
  EXPECT_EQ(job.resources.max_attempts, 5);
  EXPECT_DOUBLE_EQ(job.resources.task_timeout_s, 1800.0);
}

TEST_F(ManifestResolve, SourcesExpandInManifestOrder) {
  const Job job = load_job(dir_.file("job.yaml"));
  std::vector<std::string> ids;
  for (const AssetSpec& spec : job.assets) ids.push_back(spec.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"hero", "birds_1", "birds_2", "car-pass", "car-slow"}));
  for (size_t i = 0; i < job.assets.size(); ++i) EXPECT_EQ(job.assets[i].index, int64_t(i));
}

TEST_F(ManifestResolve, ExplicitAssetOverridesDefaults) {
  const Job job = load_job(dir_.file("job.yaml"));
  const AssetSpec& hero = asset(job, "hero");
  EXPECT_EQ(hero.image, dir_.file("hero.png"));
  EXPECT_EQ(hero.prompt, "the hero turns");
  EXPECT_EQ(hero.sampler.negative_prompt, "blurry");
  EXPECT_EQ(hero.seed, 1234u);
  EXPECT_FALSE(hero.seed_derived);
  EXPECT_EQ(hero.width, 64);
  EXPECT_EQ(hero.height, 48);
  EXPECT_FALSE(hero.resolution_from_image);
  EXPECT_EQ(hero.priority, 10);
  EXPECT_EQ(hero.sampler.name, "euler");  // from sampler:
  EXPECT_EQ(hero.sampler.steps, 30);      // own override
  EXPECT_DOUBLE_EQ(hero.fps, 8.0);
  // frames: 40 on the asset wins over duration: 2s in defaults (a more specific layer).
  EXPECT_EQ(hero.total_frames, 40);
  EXPECT_EQ(hero.extension.segment_frames, 13);
  EXPECT_DOUBLE_EQ(hero.extension.renoise, 0.25);  // merged from defaults' extension
  EXPECT_EQ(hero.formats, std::vector<std::string>{"mp4"});
  EXPECT_EQ(hero.source.line, 23);
  EXPECT_EQ(hero.source.column, 5);
  // 40 frames in 13-frame segments sharing one frame: 13 + 12 + 12 + 3 new frames.
  ASSERT_EQ(hero.segments.size(), 4u);
  EXPECT_EQ(hero.segments[0].frames, 13);
  EXPECT_EQ(hero.segments[1].frames, 13);
  EXPECT_EQ(hero.segments[2].frames, 13);
  EXPECT_EQ(hero.segments[3].frames, 5);
  EXPECT_EQ(hero.segments[3].new_frames, 3);
  EXPECT_EQ(hero.segments[3].first_clip_frame, 37);
}

TEST_F(ManifestResolve, GlobMatchesBecomeAssetsNamedByStem) {
  const Job job = load_job(dir_.file("job.yaml"));
  const AssetSpec& birds = asset(job, "birds_1");
  EXPECT_EQ(birds.image, dir_.file("plates/birds_1.png"));
  EXPECT_EQ(birds.prompt, "birds take off");
  EXPECT_DOUBLE_EQ(birds.sampler.guidance, 3.5);
  EXPECT_EQ(birds.sampler.steps, 12);
  EXPECT_TRUE(birds.seed_derived);
  EXPECT_EQ(birds.seed, derive_asset_seed(7, "birds_1"));
  EXPECT_NE(birds.seed, asset(job, "birds_2").seed);
  // 2s at 8 fps = 16 frames: one segment of 17 frames, trimmed to 16.
  EXPECT_EQ(birds.total_frames, 16);
  ASSERT_EQ(birds.segments.size(), 1u);
  EXPECT_EQ(birds.segments[0].frames, 17);
  EXPECT_EQ(birds.segments[0].new_frames, 16);
  // auto: a portrait 48x64 plate at tiny-i2v's 32x32 pixel area, sides multiples of 16.
  EXPECT_TRUE(birds.resolution_from_image);
  EXPECT_EQ(birds.width, 16);
  EXPECT_EQ(birds.height, 32);
  EXPECT_EQ(birds.source.line, 33);
  EXPECT_EQ(birds.source.column, 11);
}

TEST_F(ManifestResolve, CsvRowsBecomeAssetsWithEntryKeysAndDefaults) {
  const Job job = load_job(dir_.file("job.yaml"));
  const AssetSpec& pass = asset(job, "car-pass");
  EXPECT_EQ(pass.image, dir_.file("lists/stills/car.png"));  // relative to the CSV's folder
  EXPECT_EQ(pass.prompt, "the car drives past, fast");
  EXPECT_EQ(pass.seed, 42u);
  EXPECT_DOUBLE_EQ(pass.fps, 16.0);
  EXPECT_EQ(pass.total_frames, 16);  // duration: 1s from the csv entry, at the row's 16 fps
  EXPECT_EQ(pass.formats, (std::vector<std::string>{"webm", "gif"}));
  EXPECT_EQ(std::filesystem::path(pass.source.file).filename(), "shots.csv");
  EXPECT_EQ(pass.source.line, 2);

  const AssetSpec& slow = asset(job, "car-slow");  // empty cells fall back
  EXPECT_TRUE(slow.seed_derived);
  EXPECT_DOUBLE_EQ(slow.fps, 8.0);
  EXPECT_EQ(slow.total_frames, 8);
  EXPECT_EQ(slow.formats, std::vector<std::string>{"mp4"});
  EXPECT_EQ(slow.source.line, 4);  // after the comment line
  // 96x32 at 32x32 pixels' area: 48x16 rounds down to 48x16.
  EXPECT_EQ(slow.width, 48);
  EXPECT_EQ(slow.height, 16);
}

// splitmix64(0 ^ fnv1a64("hero")) >> 1, computed independently (docs/manifest.md, "Seeds").
constexpr uint64_t kHeroSeedAtZero = 6744924569716132037ull;

TEST(ManifestSeeds, DerivedSeedIsStableAndInRange) {
  // Changing the derivation changes every clip of every job: this value is part of the format.
  EXPECT_EQ(derive_asset_seed(0, "hero"), derive_asset_seed(0, "hero"));
  EXPECT_NE(derive_asset_seed(0, "hero"), derive_asset_seed(1, "hero"));
  EXPECT_NE(derive_asset_seed(0, "hero"), derive_asset_seed(0, "hero2"));
  for (const char* id : {"a", "b", "hero", "shot_010"}) {
    EXPECT_LE(derive_asset_seed(123, id), kMaxSeed);
  }
  EXPECT_EQ(derive_asset_seed(0, "hero"), kHeroSeedAtZero);
}

TEST(ManifestAutoResolution, MatchesTheReferenceAtWanSizes) {
  // A 16:9-ish 832x480 plate at Wan2.1's 832x480 area is 832x480 again.
  EXPECT_EQ(auto_resolution(832, 480, 832 * 480, 16), std::make_pair(int64_t{832}, int64_t{480}));
  // A 4:3 photo: sides rounded down to multiples of 16 under the area.
  EXPECT_EQ(auto_resolution(4000, 3000, 832 * 480, 16), std::make_pair(int64_t{720}, int64_t{544}));
  // Wan2.2 TI2V-5B: 32-pixel stride around 1280x704.
  EXPECT_EQ(auto_resolution(1920, 1080, 1280 * 704, 32),
            std::make_pair(int64_t{1248}, int64_t{704}));
}

// A preset's `sampling:` section (Wan2.2 A14B: the public sample_steps, sample_shift and one
// guidance scale per expert) is the job's default; `sampler:` and the assets override it. Without
// any `guidance:` each expert keeps its own scale (the asset's render carries none), with one the
// given scale goes to every step.
TEST(ManifestPresetSampling, ThePresetsStepsShiftAndExpertScalesAreTheDefaults) {
  testing::ScratchDir dir("manifest-preset-sampling");
  write_file(dir.file("a.png"), png_bytes(64, 64));
  write_file(dir.file("job.yaml"), R"(job: moe
output: {root: out}
model: {preset: tiny-i2v-a14b, weights: random}
assets:
  - {id: own-scales, image: a.png, prompt: x, frames: 5}
  - {id: one-scale, image: a.png, prompt: x, frames: 5, guidance: 2.5, steps: 4}
)");
  const Job job = load_job(dir.file("job.yaml"));
  EXPECT_EQ(job.sampler.steps, 6);  // configs/models/tiny-i2v-a14b.yaml
  EXPECT_DOUBLE_EQ(job.sampler.shift, 5.0);
  const AssetPlan own = plan_asset(job, job.assets[0], "2026-12-06");
  EXPECT_EQ(own.render.steps, 6);
  EXPECT_FALSE(own.render.guidance.has_value()) << "the experts' own scales were overridden";
  const AssetPlan one = plan_asset(job, job.assets[1], "2026-12-06");
  EXPECT_EQ(one.render.steps, 4);
  ASSERT_TRUE(one.render.guidance.has_value());
  EXPECT_DOUBLE_EQ(*one.render.guidance, 2.5);
  EXPECT_NE(own.facts_hash, one.facts_hash);

  // A job-wide `sampler: {guidance: ...}` is a given scale too.
  write_file(dir.file("job.yaml"), R"(job: moe
output: {root: out}
model: {preset: tiny-i2v-a14b, weights: random}
sampler: {guidance: 4.5}
assets:
  - {id: a, image: a.png, prompt: x, frames: 5}
)");
  const Job given = load_job(dir.file("job.yaml"));
  const AssetPlan plan = plan_asset(given, given.assets[0], "2026-12-06");
  ASSERT_TRUE(plan.render.guidance.has_value());
  EXPECT_DOUBLE_EQ(*plan.render.guidance, 4.5);
}

}  // namespace
}  // namespace motionfarm::coordinator
