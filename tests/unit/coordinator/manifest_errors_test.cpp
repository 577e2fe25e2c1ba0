// Every kind of manifest problem `motionfarm validate` reports: its message and the exact line and
// column (1-based, as editors count) it points at.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "coordinator/manifest_reader.h"
#include "tests/support/test_paths.h"
#include "tests/unit/coordinator/manifest_fixtures.h"

namespace motionfarm::coordinator {
namespace {

using testing::describe;
using testing::find_diagnostic;
using testing::png_bytes;
using testing::write_file;

// A scratch folder with two 64x48 plates, where each test writes its job.yaml.
class ManifestErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("plates/a.png"), png_bytes(64, 48));
    write_file(dir_.file("plates/b.png"), png_bytes(64, 48));
  }

  ManifestReport validate(const std::string& yaml, ManifestOptions options = {}) {
    write_file(dir_.file("job.yaml"), yaml);
    options.date = "2025-01-31";
    return read_manifest(dir_.file("job.yaml"), options);
  }

  // The report holds an error containing `text` at line:column of job.yaml (or of `file`).
  void expect_error(const ManifestReport& report, const std::string& text, int line, int column,
                    const std::string& file = "job.yaml") {
    EXPECT_FALSE(report.can_run()) << describe(report);
    const Diagnostic* found = find_diagnostic(report, text);
    ASSERT_NE(found, nullptr) << "no diagnostic contains \"" << text << "\":\n" << describe(report);
    EXPECT_FALSE(found->is_warning);
    EXPECT_EQ(std::filesystem::path(found->where.file).filename(), file) << found->to_string();
    EXPECT_EQ(found->where.line, line) << found->to_string();
    EXPECT_EQ(found->where.column, column) << found->to_string();
  }

  testing::ScratchDir dir_{"manifest-errors"};
};

// A job that runs, so each test can break exactly one thing (line numbers in comments).
constexpr char kHead[] =
    "job: spring\n"         // 1
    "output:\n"             // 2
    "  root: renders\n"     // 3
    "model:\n"              // 4
    "  preset: tiny-i2v\n"  // 5
    "  weights: random\n"   // 6
    "assets:\n";            // 7
constexpr char kAssetA[] =
    "  - id: a\n"                 // 8
    "    image: plates/a.png\n"   // 9
    "    prompt: grass sways\n";  // 10

TEST_F(ManifestErrors, TheBaseJobIsValid) {
  const ManifestReport report = validate(std::string(kHead) + kAssetA);
  EXPECT_TRUE(report.can_run()) << describe(report);
  ASSERT_EQ(report.job.assets.size(), 1u);
}

TEST_F(ManifestErrors, UnknownTopLevelKeySuggestsTheClosest) {
  const auto report = validate(std::string(kHead) + kAssetA + "sampelr:\n  steps: 20\n");
  expect_error(report, "unknown key 'sampelr' in 'manifest' (did you mean 'sampler'?)", 11, 1);
}

TEST_F(ManifestErrors, PhaseBatchMustBeAPositiveCountAndDefaultsToEight) {
  EXPECT_EQ(validate(std::string(kHead) + kAssetA).job.resources.phase_batch, 8);
  const auto ok = validate(std::string(kHead) + kAssetA + "resources:\n  phase_batch: 3\n");
  EXPECT_TRUE(ok.can_run()) << describe(ok);
  EXPECT_EQ(ok.job.resources.phase_batch, 3);
  const auto zero = validate(std::string(kHead) + kAssetA + "resources:\n  phase_batch: 0\n");
  expect_error(zero, "phase_batch must be between 1 and 100000, got 0", 12, 16);
  const auto typo = validate(std::string(kHead) + kAssetA + "resources:\n  phase_bach: 2\n");
  expect_error(typo, "unknown key 'phase_bach' in 'resources' (did you mean 'phase_batch'?)", 12,
               3);
}

TEST_F(ManifestErrors, UnknownAssetKeySuggestsTheClosest) {
  const auto report = validate(std::string(kHead) + kAssetA + "    durration: 5s\n");
  expect_error(report, "unknown key 'durration' in 'asset' (did you mean 'duration'?)", 11, 5);
}

TEST_F(ManifestErrors, WrongTypeNamesTheKeyAndTheValue) {
  const auto report = validate(std::string(kHead) + kAssetA + "    fps: fast\n");
  expect_error(report, "'fps' must be a number, got 'fast'", 11, 10);
}

TEST_F(ManifestErrors, MissingRequiredKey) {
  const auto report = validate(
      "output:\n  root: renders\nmodel:\n  preset: tiny-i2v\n  weights: random\nassets:\n" +
      std::string(kAssetA));
  expect_error(report, "missing required key 'job': add job: <name>", 1, 1);
}

TEST_F(ManifestErrors, AssetWithoutPromptPointsAtTheAsset) {
  const auto report = validate(std::string(kHead) + "  - id: a\n    image: plates/a.png\n");
  expect_error(report, "this asset has no prompt", 8, 5);
}

TEST_F(ManifestErrors, MissingImage) {
  const auto report =
      validate(std::string(kHead) + "  - id: a\n    image: plates/c.png\n    prompt: p\n");
  expect_error(report, "plates/c.png does not exist", 9, 12);
}

TEST_F(ManifestErrors, ImageThatIsAFolder) {
  const auto report =
      validate(std::string(kHead) + "  - id: a\n    image: plates\n    prompt: p\n");
  expect_error(report, "is not a file but a folder: use glob:", 9, 12);
}

TEST_F(ManifestErrors, ImageThatIsNotAnImage) {
  write_file(dir_.file("plates/notes.png"), "these are notes, not pixels\n");
  const auto report =
      validate(std::string(kHead) + "  - id: a\n    image: plates/notes.png\n    prompt: p\n");
  expect_error(report, "not a supported image format", 9, 12);
}

TEST_F(ManifestErrors, ImageCutShort) {
  const std::string whole = png_bytes(64, 48);
  write_file(dir_.file("plates/cut.png"), whole.substr(0, whole.size() / 2));
  const auto report =
      validate(std::string(kHead) + "  - id: a\n    image: plates/cut.png\n    prompt: p\n");
  expect_error(report, "is cut short", 9, 12);
}

TEST_F(ManifestErrors, UnreadableImage) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their permissions";
  std::filesystem::permissions(dir_.file("plates/a.png"), std::filesystem::perms::none);
  const auto report = validate(std::string(kHead) + kAssetA);
  expect_error(report, "cannot be read", 9, 12);
}

TEST_F(ManifestErrors, ResolutionNotAMultipleOfTheStrideSuggestsTheNearest) {
  const auto report = validate(std::string(kHead) + kAssetA + "    resolution: 70x50\n");
  expect_error(report, "resolution 70x50 is not a multiple of 16", 11, 17);
  expect_error(report, "use 64x48, or auto", 11, 17);
}

TEST_F(ManifestErrors, DuplicateAssetIdsPointAtBoth) {
  const auto report = validate(std::string(kHead) + kAssetA +
                               "  - id: a\n    image: plates/b.png\n    prompt: p\n");
  expect_error(report, "duplicate asset id 'a' (first used at", 11, 9);
  expect_error(report, "duplicate asset id 'a' (used again at", 8, 9);
  EXPECT_NE(find_diagnostic(report, "job.yaml:8:9")->message.find("first used at"),
            std::string::npos);
}

TEST_F(ManifestErrors, NamingWithDotDotEscapesTheRoot) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\n  naming: \"{asset}/../../{asset}\"\n"
      "model:\n  preset: tiny-i2v\n  weights: random\nassets:\n" +
      std::string(kAssetA));
  // Column of the first "..": the quote at 11, then "{asset}/" (8 characters).
  expect_error(report, "must not contain '..'", 4, 20);
}

TEST_F(ManifestErrors, AbsoluteNaming) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\n  naming: /tmp/{asset}\n"
      "model:\n  preset: tiny-i2v\n  weights: random\nassets:\n" +
      std::string(kAssetA));
  expect_error(report, "not an absolute path", 4, 11);
}

TEST_F(ManifestErrors, SymlinkedFolderOutsideTheRoot) {
  testing::ScratchDir elsewhere("manifest-elsewhere");
  std::filesystem::create_directories(dir_.file("renders"));
  std::filesystem::create_directory_symlink(elsewhere.path(), dir_.file("renders/a"));
  const auto report = validate(std::string(kHead) + kAssetA);
  // The default naming "{asset}/{asset}_{seed}" goes through renders/a; the error points at the
  // output mapping because the manifest does not write naming:.
  expect_error(report, "is a symlink to", 3, 3);
}

TEST_F(ManifestErrors, UnknownNamingFieldSuggestsTheClosest) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\n  naming: \"{asset}_{seeed}\"\n"
      "model:\n  preset: tiny-i2v\n  weights: random\nassets:\n" +
      std::string(kAssetA));
  expect_error(report, "unknown field {seeed} in output.naming (did you mean 'seed'?)", 4, 20);
}

TEST_F(ManifestErrors, NamingWithoutAssetMakesAssetsCollide) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\n  naming: \"{job}\"\n"
      "model:\n  preset: tiny-i2v\n  weights: random\nassets:\n" +
      std::string(kAssetA) + "  - id: b\n    image: plates/b.png\n    prompt: p\n");
  expect_error(report, "assets 'a' and 'b' would both write", 4, 11);
}

TEST_F(ManifestErrors, UnknownPresetListsTheKnownOnes) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\nmodel:\n  preset: tiny-i2x\n  weights: random\n"
      "assets:\n" +
      std::string(kAssetA));
  expect_error(report, "unknown model preset 'tiny-i2x' (did you mean 'tiny-i2v'?)", 5, 11);
  expect_error(report, "known presets: ", 5, 11);
  for (const char* preset : {"tiny-i2v", "tiny-t2v", "wan2.1-i2v-14b", "wan2.2-ti2v-5b"}) {
    EXPECT_NE(find_diagnostic(report, preset), nullptr) << preset << "\n" << describe(report);
  }
}

TEST_F(ManifestErrors, UnknownFormatListsTheValidOnes) {
  const auto report = validate(std::string(kHead) + kAssetA + "    formats: [mp4, mov]\n");
  expect_error(report, "unknown output format 'mov'", 11, 20);
  expect_error(report, "valid formats: mp4, webm", 11, 20);
}

TEST_F(ManifestErrors, LayoutThatDoesNotDivideTheHeads) {
  const auto report =
      validate(std::string(kHead) + kAssetA + "parallel:\n  layout: \"ulysses=3\"\n");
  expect_error(report, "4 heads are not divisible by ulysses 3", 12, 11);
}

TEST_F(ManifestErrors, LayoutThatDoesNotDivideTheRanks) {
  ManifestOptions options;
  options.world_size = 3;
  const auto report =
      validate(std::string(kHead) + kAssetA + "parallel:\n  layout: cfg=2\n", options);
  expect_error(report, "does not divide the 3 ranks", 12, 11);
}

TEST_F(ManifestErrors, MalformedLayout) {
  const auto report = validate(std::string(kHead) + kAssetA + "parallel:\n  layout: ulyses=2\n");
  expect_error(report, "KEY one of cfg, tp, ulysses, ring", 12, 11);
}

TEST_F(ManifestErrors, NegativeDuration) {
  const auto report = validate(std::string(kHead) + kAssetA + "    duration: -2s\n");
  expect_error(report, "duration must be positive, got -2s", 11, 15);
}

TEST_F(ManifestErrors, ZeroFps) {
  const auto report = validate(std::string(kHead) + kAssetA + "    fps: 0\n");
  expect_error(report, "fps must be above 0", 11, 10);
}

TEST_F(ManifestErrors, DurationOverMaxFrames) {
  const auto report = validate(std::string(kHead) + kAssetA + "    duration: 200s\n");
  expect_error(report, "this asset is 1600 frames (200s at 8 fps), over max_frames 1000", 11, 15);
}

TEST_F(ManifestErrors, DurationAndFramesTogether) {
  const auto report = validate(std::string(kHead) + kAssetA + "    duration: 2s\n    frames: 17\n");
  expect_error(report, "give duration or frames, not both", 12, 5);
}

TEST_F(ManifestErrors, SeedOutOfRange) {
  const auto report = validate(std::string(kHead) + kAssetA + "    seed: -5\n");
  expect_error(report, "seed -5 is out of range: use 0 to 9223372036854775807", 11, 11);
}

TEST_F(ManifestErrors, SeedTooLargeForSixtyFourBits) {
  const auto report = validate(std::string(kHead) + kAssetA + "    seed: 99999999999999999999\n");
  expect_error(report, "'seed' 99999999999999999999 is out of range", 11, 11);
}

TEST_F(ManifestErrors, GlobMatchingNothing) {
  const auto report = validate(std::string(kHead) + "  - glob: \"plates/*.jpg\"\n    prompt: p\n");
  expect_error(report, "glob 'plates/*.jpg' matches no file", 8, 11);
}

TEST_F(ManifestErrors, CsvUnknownColumn) {
  write_file(dir_.file("shots.csv"), "id,image,promt\na,plates/a.png,sway\n");
  const auto report = validate(std::string(kHead) + "  - csv: shots.csv\n");
  expect_error(report, "unknown CSV column 'promt' (did you mean 'prompt'?)", 1, 10, "shots.csv");
}

TEST_F(ManifestErrors, CsvRowWithTheWrongNumberOfFields) {
  write_file(dir_.file("shots.csv"),
             "id,image,prompt\na,plates/a.png,sway\nb,plates/b.png,wind, then rain\n");
  const auto report = validate(std::string(kHead) + "  - csv: shots.csv\n");
  expect_error(report, "this CSV row has 4 fields, the header has 3", 3, 1, "shots.csv");
}

TEST_F(ManifestErrors, CsvCellErrorsPointAtTheCell) {
  write_file(dir_.file("shots.csv"), "id,image,prompt,fps\na,plates/a.png,sway,fast\n");
  const auto report = validate(std::string(kHead) + "  - csv: shots.csv\n");
  expect_error(report, "'fps' must be a number, got 'fast'", 2, 21, "shots.csv");
}

TEST_F(ManifestErrors, YamlSyntaxError) {
  const auto report = validate(std::string(kHead) + kAssetA + "    prompt: [unclosed\n");
  expect_error(report, "YAML syntax error", 12, 1);
}

TEST_F(ManifestErrors, AliasBombIsCapped) {
  // Ten levels of nine aliases each: 9^10 nodes once expanded.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 10; ++level) {
    const std::string prev = "*a" + std::to_string(level - 1);
    yaml += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [" + prev;
    for (int i = 1; i < 9; ++i) yaml += ", " + prev;
    yaml += "]\n";
  }
  const auto report = validate(yaml);
  expect_error(report, "expands to more than 1000000 YAML nodes", 1, 1);
  EXPECT_EQ(report.diagnostics.size(), 1u) << describe(report);
}

TEST_F(ManifestErrors, OversizedFile) {
  ManifestOptions options;
  options.limits.max_file_bytes = 64;
  const auto report = validate(std::string(kHead) + kAssetA, options);
  ASSERT_NE(find_diagnostic(report, "over the limit of 64"), nullptr) << describe(report);
  EXPECT_EQ(find_diagnostic(report, "over the limit of 64")->where.line, 0);
}

// ---- Hostile inputs (issue 12, docs/robustness.md): limits that hold with a clear error.

TEST_F(ManifestErrors, AssetCountLimitIsDocumentedValue) {
  // docs/manifest.md states this number.
  EXPECT_EQ(YamlLimits{}.max_assets, 100000u);
}

TEST_F(ManifestErrors, TooManyAssetsFromAGlobStopsTheExpansion) {
  write_file(dir_.file("plates/c.png"), png_bytes(64, 48));
  write_file(dir_.file("plates/d.png"), png_bytes(64, 48));
  ManifestOptions options;
  options.limits.max_assets = 3;
  const auto report =
      validate(std::string(kHead) + "  - glob: \"plates/*.png\"\n    prompt: sway\n", options);
  expect_error(report, "the manifest has more than 3 assets (4 once this entry is expanded)", 8, 5);
  EXPECT_TRUE(report.job.assets.empty()) << describe(report);
  // At the limit, the same job runs.
  options.limits.max_assets = 4;
  EXPECT_TRUE(
      validate(std::string(kHead) + "  - glob: \"plates/*.png\"\n    prompt: sway\n", options)
          .can_run());
}

TEST_F(ManifestErrors, OversizedCsvFileIsRefusedBeforeReading) {
  std::string csv = "id,image,prompt\n";
  for (int i = 0; i < 20; ++i) csv += "s" + std::to_string(i) + ",plates/a.png,sway\n";
  write_file(dir_.file("shots.csv"), csv);
  ManifestOptions options;
  options.limits.max_file_bytes = 300;
  const auto report = validate(std::string(kHead) + "  - csv: shots.csv\n", options);
  expect_error(report, "shots.csv is over 300 bytes: split the job", 8, 10);
}

TEST_F(ManifestErrors, TooManyAssetsFromACsvOrAListIsRefused) {
  std::string csv = "id,image,prompt\n";
  for (int i = 0; i < 5; ++i) csv += "s" + std::to_string(i) + ",plates/a.png,sway\n";
  write_file(dir_.file("shots.csv"), csv);
  ManifestOptions options;
  options.limits.max_assets = 3;
  expect_error(validate(std::string(kHead) + "  - csv: shots.csv\n", options),
               "the manifest has more than 3 assets (5 once this entry is expanded)", 8, 5);
  std::string listed = kHead;
  for (int i = 0; i < 4; ++i) {
    listed += "  - {id: x" + std::to_string(i) + ", image: plates/a.png, prompt: sway}\n";
  }
  expect_error(validate(listed, options), "the manifest has more than 3 assets (4 once", 11, 5);
}

TEST_F(ManifestErrors, TextThatIsNotUtf8IsRefusedWhereItIsWritten) {
  // "café" saved as Latin-1: the text would later fail to go into the ledger's JSON.
  const auto report = validate(std::string(kHead) + kAssetA + "    negative_prompt: caf\xe9\n");
  expect_error(report, "'negative_prompt' is not UTF-8 text (byte 0xe9 at offset 3 of the value)",
               11, 22);
}

TEST_F(ManifestErrors, CsvCellThatIsNotUtf8IsRefusedAtTheCell) {
  write_file(dir_.file("shots.csv"), "id,image,prompt\na,plates/a.png,caf\xe9 au lait\n");
  const auto report = validate(std::string(kHead) + "  - csv: shots.csv\n");
  expect_error(report, "'prompt' is not UTF-8 text (byte 0xe9 at offset 3", 2, 16, "shots.csv");
}

TEST_F(ManifestErrors, MalformedUtf8SequencesAreRefusedAndValidOnesKept) {
  // Overlong '/', a UTF-16 surrogate, above U+10FFFF, a cut-short sequence.
  for (const std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    const auto report =
        validate(std::string(kHead) + kAssetA + "    negative_prompt: \"x" + bad + "\"\n");
    EXPECT_NE(find_diagnostic(report, "is not UTF-8 text (byte"), nullptr) << describe(report);
  }
  const auto good =
      validate(std::string(kHead) + kAssetA + "    negative_prompt: \"café, 渋谷, 🎬\"\n");
  EXPECT_TRUE(good.can_run()) << describe(good);
  ASSERT_EQ(good.job.assets.size(), 1u);
  EXPECT_EQ(good.job.assets[0].sampler.negative_prompt, "café, 渋谷, 🎬");
}

TEST_F(ManifestErrors, ImageWhoseHeaderClaimsEnormousDimensions) {
  // A PNG that is only a header: the validator reads the size from it and refuses it, without
  // reading (or allocating) any pixel.
  const auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff),
                       char(v & 0xff)};
  };
  for (const uint32_t side : {100000u, 0xffffffffu}) {
    write_file(dir_.file("plates/huge.png"),
               std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(side) + be32(side) +
                   std::string("\x08\x02\0\0\0", 5) + be32(0) + be32(0) + "IEND" + be32(0));
    const auto report =
        validate(std::string(kHead) + "  - id: a\n    image: plates/huge.png\n    prompt: sway\n");
    expect_error(report,
                 std::to_string(side) + "x" + std::to_string(side) +
                     " pixels by its header, over the 67108864-pixel limit of the decoder",
                 9, 12);
  }
}

TEST_F(ManifestErrors, EmptyAssetsList) {
  const auto report =
      validate(std::string(kHead).replace(std::string(kHead).size() - 8, 8, "assets: []\n"));
  expect_error(report, "assets is empty", 7, 9);
}

TEST_F(ManifestErrors, KeyGivenTwice) {
  const auto report = validate(std::string(kHead) + kAssetA + "    prompt: again\n");
  expect_error(report, "key 'prompt' is given twice in 'asset' (first at", 11, 5);
}

TEST_F(ManifestErrors, RandomWeightsOnARealModel) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\nmodel:\n  preset: wan2.1-i2v-14b\n"
      "  weights: random\nassets:\n" +
      std::string(kAssetA));
  expect_error(report, "weights: random is for the tiny-/demo- test presets only", 6, 12);
}

TEST_F(ManifestErrors, MissingWeightFileWithoutAReleaseFolder) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\nmodel:\n  preset: tiny-i2v\n  weights:\n"
      "    dit: dit.safetensors\n    vae: plates/a.png\n    text_encoder: plates/a.png\n"
      "    tokenizer: plates\nassets:\n" +
      std::string(kAssetA));
  expect_error(report, "dit " + dir_.file("dit.safetensors") + " does not exist", 7, 10);
  expect_error(report, "missing required key 'weights.image_encoder'", 7, 5);
}

TEST_F(ManifestErrors, TextToVideoPresetWithAnImage) {
  const auto report = validate(
      "job: spring\noutput:\n  root: renders\nmodel:\n  preset: tiny-t2v\n  weights: random\n"
      "assets:\n" +
      std::string(kAssetA));
  expect_error(report, "is text-to-video and takes no image", 9, 12);
}

TEST_F(ManifestErrors, SegmentFramesNotFourNPlusOne) {
  const auto report =
      validate(std::string(kHead) + kAssetA + "    extension:\n      segment_frames: 12\n");
  expect_error(report, "segment_frames must be 4n+1", 12, 23);
  expect_error(report, "use 13", 12, 23);
}

TEST_F(ManifestErrors, EveryProblemIsReportedAtOnce) {
  const auto report = validate(std::string(kHead) + kAssetA +
                               "    fps: fast\n"
                               "  - id: b\n    image: plates/missing.png\n    prompt: p\n"
                               "    formats: [mp5]\n");
  EXPECT_EQ(report.error_count, 3u) << describe(report);
  EXPECT_NE(find_diagnostic(report, "'fps' must be a number"), nullptr);
  EXPECT_NE(find_diagnostic(report, "missing.png does not exist"), nullptr);
  EXPECT_NE(find_diagnostic(report, "unknown output format 'mp5' (did you mean 'mp4'?)"), nullptr);
  // Ordered by line.
  ASSERT_EQ(report.diagnostics.size(), 3u);
  EXPECT_LT(report.diagnostics[0].where.line, report.diagnostics[1].where.line);
  EXPECT_LT(report.diagnostics[1].where.line, report.diagnostics[2].where.line);
}

TEST_F(ManifestErrors, BadDefaultIsReportedOnceNotPerAsset) {
  const auto report = validate(std::string(kHead) + kAssetA +
                               "  - id: b\n    image: plates/b.png\n    prompt: p\n"
                               "defaults:\n  steps: many\n");
  EXPECT_EQ(report.error_count, 1u) << describe(report);
  expect_error(report, "'steps' must be a whole number, got 'many'", 15, 10);
}

TEST_F(ManifestErrors, LoadJobThrowsWithEveryError) {
  write_file(dir_.file("job.yaml"), std::string(kHead) + kAssetA + "    fps: fast\n    seed: -1\n");
  try {
    load_job(dir_.file("job.yaml"));
    FAIL() << "load_job accepted a bad manifest";
  } catch (const ManifestError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("job.yaml:11:10: 'fps' must be a number"), std::string::npos) << what;
    EXPECT_NE(what.find("job.yaml:12:11: seed -1 is out of range"), std::string::npos) << what;
    EXPECT_EQ(error.problems().size(), 2u);
  }
}

}  // namespace
}  // namespace motionfarm::coordinator
