// Reading clips back (io/video_reader.h): every frame of an MP4, a WebM (no frame count in the
// container) and a GIF comes back in order and close to the frames that were encoded, closer than
// the ffmpeg CLI's own decode (measured: H.264 44.3 dB against 39.9 for the CLI, VP9 42.4 against
// 39.0, GIF 31.9 for both; thresholds a couple of dB under), and agrees with that decode; a flat
// colour comes back exactly (the BT.709 tags are followed); scaled reading keeps the aspect;
// skipped frames are decoded, not returned; a missing or non-video file is an InputError.
#include "io/video_reader.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "io/video_writer.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

using motionfarm::testing::ScratchDir;
using namespace media_test;

constexpr int kWidth = 128;
constexpr int kHeight = 96;
constexpr int kFrames = 10;

at::Tensor write_clip(const std::string& path, OutputFormat format) {
  VideoWriterOptions options;
  options.format = format;
  options.width = kWidth;
  options.height = kHeight;
  options.frame_rate = {8, 1};
  const at::Tensor frames = moving_gradient(kFrames, kHeight, kWidth);
  VideoWriter writer(path, options);
  writer.write_frames(frames);
  writer.finish();
  return frames;
}

at::Tensor read_all(VideoReader& reader) {
  std::vector<at::Tensor> parts;
  while (true) {
    at::Tensor part = reader.read_frames(3);  // batches that do not divide the clip
    if (part.size(0) == 0) break;
    EXPECT_LE(part.size(0), 3);
    parts.push_back(part);
  }
  return at::cat(parts);
}

struct Case {
  OutputFormat format;
  const char* file;
  const char* codec;
  double min_psnr_vs_source;  // dB, 8-bit, over every frame
};

class VideoReaderFormats : public ::testing::TestWithParam<Case> {};

TEST_P(VideoReaderFormats, ReadsEveryFrameBackCloseToTheEncodedOnes) {
  const Case c = GetParam();
  ScratchDir scratch("video-reader");
  const std::string path = scratch.file(c.file);
  const at::Tensor source = write_clip(path, c.format);
  VideoReader reader(path);
  EXPECT_EQ(reader.info().frames, kFrames);
  EXPECT_EQ(reader.info().width, kWidth);
  EXPECT_EQ(reader.info().height, kHeight);
  EXPECT_NEAR(reader.info().fps, 8.0, 1e-9);
  EXPECT_EQ(reader.info().codec, c.codec);
  const at::Tensor frames = read_all(reader);
  ASSERT_EQ(frames.sizes(), source.sizes());
  EXPECT_GE(frames.min().item<float>(), -1.0f);
  EXPECT_LE(frames.max().item<float>(), 1.0f);
  EXPECT_GT(psnr_8bit(frames, source), c.min_psnr_vs_source);
  // The same frames as the CLI decodes, up to its coarser chroma interpolation (41 dB measured).
  EXPECT_GT(psnr_8bit(frames, decode_with_ffmpeg(path, kWidth, kHeight)), 39.0);
  EXPECT_EQ(reader.read_frames(4).size(0), 0);  // stays at the end
}

INSTANTIATE_TEST_SUITE_P(Formats, VideoReaderFormats,
                         ::testing::Values(Case{OutputFormat::H264Mp4, "clip.mp4", "h264", 42.0},
                                           Case{OutputFormat::Vp9Webm, "clip.webm", "vp9", 40.0},
                                           Case{OutputFormat::Gif, "clip.gif", "gif", 30.0}),
                         [](const auto& info) { return std::string(info.param.codec); });

TEST(VideoReader, AFlatColourComesBackExactly) {
  ScratchDir scratch("video-reader");
  VideoWriterOptions options;
  options.width = 64;
  options.height = 64;
  at::Tensor orange = at::empty({3, 3, 64, 64});  // RGB 255, 128 (127.5), 0
  orange.select(1, 0).fill_(1.0);
  orange.select(1, 1).fill_(0.0);
  orange.select(1, 2).fill_(-1.0);
  VideoWriter writer(scratch.file("orange.mp4"), options);
  writer.write_frames(orange);
  writer.finish();
  const at::Tensor frame = VideoReader(scratch.file("orange.mp4")).read_frames(1)[0];
  const at::Tensor levels = ((frame + 1.0) * 127.5).round().mean({1, 2});  // per channel
  EXPECT_NEAR(levels[0].item<double>(), 255.0, 1.0);
  EXPECT_NEAR(levels[1].item<double>(), 128.0, 1.0);
  EXPECT_NEAR(levels[2].item<double>(), 0.0, 1.0);
}

TEST(VideoReader, ScalesToTheAskedWidthKeepingTheAspect) {
  ScratchDir scratch("video-reader");
  const std::string path = scratch.file("clip.mp4");
  write_clip(path, OutputFormat::H264Mp4);
  VideoReaderOptions options;
  options.width = 50;
  VideoReader reader(path, options);
  EXPECT_EQ(reader.info().width, 50);
  EXPECT_EQ(reader.info().height, 38);  // 50 * 96 / 128 = 37.5, to the nearest even number
  const at::Tensor frames = reader.read_frames(100);
  EXPECT_EQ(frames.sizes(), (at::IntArrayRef{kFrames, 3, 38, 50}));

  options.shrink_only = true;  // shrinking still happens...
  EXPECT_EQ(VideoReader(path, options).info().width, 50);
  options.width = 500;  // ...enlarging does not
  VideoReader kept(path, options);
  EXPECT_EQ(kept.info().width, kWidth);
  EXPECT_EQ(kept.info().height, kHeight);
}

TEST(VideoReader, SkippedFramesAreDecodedButNotReturned) {
  ScratchDir scratch("video-reader");
  const std::string path = scratch.file("clip.mp4");
  write_clip(path, OutputFormat::H264Mp4);
  VideoReader all(path);
  const at::Tensor every = all.read_frames(kFrames);
  VideoReader some(path);
  EXPECT_EQ(some.skip_frames(4), 4);
  const at::Tensor fifth = some.read_frames(1);
  ASSERT_EQ(fifth.size(0), 1);
  EXPECT_TRUE(at::equal(fifth[0], every[4]));
  EXPECT_EQ(some.skip_frames(100), kFrames - 5);  // only what is left
  EXPECT_EQ(some.read_frames(1).size(0), 0);
}

TEST(VideoReader, AMissingOrNonVideoFileIsAnInputErrorNamingIt) {
  ScratchDir scratch("video-reader");
  try {
    VideoReader reader(scratch.file("missing.mp4"));
    FAIL() << "no error for a missing clip";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.mp4"), std::string::npos) << error.what();
  }
  std::ofstream(scratch.file("text.mp4")) << "this is not a video";
  EXPECT_THROW(VideoReader reader(scratch.file("text.mp4")), InputError);
  VideoReaderOptions bad;
  bad.width = -1;
  EXPECT_THROW(VideoReader reader(scratch.file("text.mp4"), bad), ConfigError);
}

}  // namespace
}  // namespace motionfarm::io
