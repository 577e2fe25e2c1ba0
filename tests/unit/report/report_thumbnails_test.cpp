// Thumbnails and the written files: a finished clip gets a poster (its middle frame) and a
// contact sheet, a failed asset its input image scaled down; a second report makes nothing again;
// a source that cannot be decoded is remembered with its reason; a re-rendered clip replaces its
// old thumbnails. report.html and summary.json appear with no temporary left beside them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/image_decoder.h"
#include "io/stills.h"
#include "io/video_writer.h"
#include "report/report_files.h"
#include "report/report_thumbnails.h"
#include "tests/support/test_paths.h"

namespace motionfarm::report {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A 17-frame clip whose frame t is uniformly grey at level (2t / 16 - 1): the poster (frame 8)
// is mid-grey.
void write_grey_ramp(const std::string& path) {
  io::VideoWriterOptions options;
  options.format = io::OutputFormat::H264Mp4;
  options.width = 64;
  options.height = 48;
  options.frame_rate = {8, 1};
  io::VideoWriter writer(path, options);
  const at::Tensor levels = at::linspace(-1.0, 1.0, 17).view({17, 1, 1, 1});
  writer.write_frames(levels.expand({17, 3, 48, 64}).contiguous());
  writer.finish();
}

JobReport two_assets(const ScratchDir& scratch) {
  JobReport report;
  report.job = "thumbs";
  report.output_root = scratch.file("out");
  fs::create_directories(report.output_root + "/clip");
  write_grey_ramp(report.output_root + "/clip/a.mp4");
  io::write_still(at::zeros({3, 300, 400}), scratch.file("plate.png"));
  std::ofstream(scratch.file("corrupt.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n garbage";

  ReportAsset done;
  done.id = "a";
  done.status = AssetStatus::kDone;
  done.frames = 17;
  done.fps = 8.0;
  done.outputs = {{"mp4", report.output_root + "/clip/a.mp4", 1000, "c1"}};
  ReportAsset failed;
  failed.id = "b";
  failed.status = AssetStatus::kFailed;
  failed.image = scratch.file("plate.png");
  failed.image_checksum = "i1";
  ReportAsset corrupt = failed;
  corrupt.id = "c";
  corrupt.image = scratch.file("corrupt.png");
  corrupt.image_checksum = "i2";
  report.assets = {done, failed, corrupt};
  return report;
}

TEST(ReportThumbnails, PosterSheetAndInputImageAreMadeOnce) {
  ScratchDir scratch("report-thumbnails");
  JobReport report = two_assets(scratch);
  const ThumbnailCounts first = prepare_thumbnails(report);
  EXPECT_EQ(first.made, 2);
  EXPECT_EQ(first.failed, 1);
  const ReportAsset& done = report.assets[0];
  ASSERT_FALSE(done.poster.empty());
  ASSERT_FALSE(done.contact_sheet.empty());
  EXPECT_TRUE(done.image_thumbnail.empty());
  EXPECT_EQ(done.poster.rfind("report-assets/a/poster-", 0), 0u) << done.poster;

  const io::DecodedImage poster = io::decode_image(report.output_root + "/" + done.poster);
  // Smaller than ThumbnailOptions::poster_width: kept at its own size, never enlarged.
  EXPECT_EQ(poster.pixels.size(2), 64);
  EXPECT_EQ(poster.pixels.size(1), 48);
  EXPECT_NEAR(poster.pixels.mean().item<double>(), 0.0, 0.05);  // frame 8 of the ramp: mid-grey
  const io::DecodedImage sheet = io::decode_image(report.output_root + "/" + done.contact_sheet);
  EXPECT_EQ(sheet.pixels.size(2), 4 * 64 + 5 * 4);  // four frames a row, 4 pixels apart

  const ReportAsset& failed = report.assets[1];
  ASSERT_FALSE(failed.image_thumbnail.empty());
  const io::DecodedImage thumbnail =
      io::decode_image(report.output_root + "/" + failed.image_thumbnail);
  EXPECT_EQ(thumbnail.pixels.size(2), 240);
  EXPECT_EQ(thumbnail.pixels.size(1), 180);
  EXPECT_TRUE(report.assets[2].image_thumbnail.empty());
  EXPECT_NE(report.assets[2].preview_problem.find("corrupt.png"), std::string::npos)
      << report.assets[2].preview_problem;

  // Again: nothing is decoded, the corrupt image is not retried and keeps its reason.
  JobReport again = two_assets(scratch);
  const ThumbnailCounts second = prepare_thumbnails(again);
  EXPECT_EQ(second.made, 0);
  EXPECT_EQ(second.reused, 2);
  EXPECT_EQ(second.failed, 1);
  EXPECT_EQ(again.assets[0].poster, done.poster);
  EXPECT_EQ(again.assets[2].preview_problem, report.assets[2].preview_problem);
}

TEST(ReportThumbnails, ThreadsMakeTheSameThumbnails) {
  ScratchDir scratch("report-thumbnails");
  JobReport report = two_assets(scratch);
  ThumbnailOptions options;
  options.threads = 3;
  const ThumbnailCounts counts = prepare_thumbnails(report, options);
  EXPECT_EQ(counts.made, 2);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_FALSE(report.assets[0].poster.empty());
  EXPECT_FALSE(report.assets[1].image_thumbnail.empty());
  options.threads = 0;
  EXPECT_THROW(prepare_thumbnails(report, options), ConfigError);
}

TEST(ReportThumbnails, AReRenderedClipReplacesItsThumbnails) {
  ScratchDir scratch("report-thumbnails");
  JobReport report = two_assets(scratch);
  prepare_thumbnails(report);
  const std::string old_poster = report.output_root + "/" + report.assets[0].poster;
  JobReport rerendered = two_assets(scratch);
  rerendered.assets[0].outputs[0].checksum = "c2";
  const ThumbnailCounts counts = prepare_thumbnails(rerendered);
  EXPECT_EQ(counts.made, 1);
  EXPECT_NE(rerendered.assets[0].poster, report.assets[0].poster);
  EXPECT_FALSE(fs::exists(old_poster));
  EXPECT_TRUE(fs::exists(report.output_root + "/" + rerendered.assets[0].poster));
}

TEST(ReportThumbnails, MakeMissingOffLinksOnlyWhatExists) {
  ScratchDir scratch("report-thumbnails");
  JobReport report = two_assets(scratch);
  ThumbnailOptions options;
  options.make_missing = false;
  const ThumbnailCounts counts = prepare_thumbnails(report, options);
  EXPECT_EQ(counts.made, 0);
  EXPECT_TRUE(report.assets[0].poster.empty());
  EXPECT_TRUE(report.assets[1].image_thumbnail.empty());
}

TEST(ReportFiles, BothFilesAppearWithNoTemporaryLeft) {
  ScratchDir scratch("report-files");
  JobReport report = two_assets(scratch);
  const ReportFiles files = write_report(report);
  EXPECT_EQ(files.html, report.output_root + "/report.html");
  EXPECT_EQ(files.json, report.output_root + "/summary.json");
  EXPECT_TRUE(fs::exists(files.html));
  std::ifstream json_file(files.json);
  const nlohmann::json summary = nlohmann::json::parse(json_file);
  EXPECT_EQ(summary["counts"]["failed"], 2);
  EXPECT_FALSE(summary["assets"][0]["thumbnails"]["poster"].is_null());
  for (const auto& entry : fs::directory_iterator(report.output_root)) {
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
}

}  // namespace
}  // namespace motionfarm::report
