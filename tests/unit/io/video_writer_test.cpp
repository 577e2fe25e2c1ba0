// Video output: every deliverable kind is encoded from streamed segments, then checked with tools
// that do not share io/'s code: ffprobe (codec, pixel format, size, frame count, frame rate,
// duration, colour tags, metadata), the MP4 box order read from the bytes, and a decode by the
// ffmpeg CLI compared with the source frames by PSNR.
//
// PSNR thresholds (8-bit, mean over all frames of a smooth moving gradient, 128x96, 12 frames),
// set a few dB under what this FFmpeg 5.1 build measures (39.3, 38.9, 39.3, 42.9, inf, 36.0 and
// 31.9 dB in the order below) so an encoder or colour-matrix regression fails: H.264 CRF 18 >= 38
// dB, VP9 CRF 30 >= 35 dB, AV1 CRF 30 >= 35 dB, ProRes 422 HQ >= 40 dB, PNG exact (infinite),
// animated WebP q80 >= 32 dB, GIF (256-colour palette per frame) >= 30 dB.
#include "io/video_writer.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "core/error.h"
#include "io/output_format.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;
using motionfarm::testing::shell_quote;
using namespace media_test;

constexpr int kWidth = 128;
constexpr int kHeight = 96;
constexpr int kFrames = 12;
constexpr int kSegment = 4;

// Every entry of `folder`, so a test can see that nothing but the output is left.
std::vector<std::string> folder_entries(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Encodes the moving gradient in segments of kSegment frames, as the pipeline streams them.
at::Tensor encode_gradient(const std::string& path, const VideoWriterOptions& options,
                           int frames = kFrames) {
  const at::Tensor all = moving_gradient(frames, options.height, options.width);
  VideoWriter writer(path, options);
  for (int first = 0; first < frames; first += kSegment) {
    writer.write_frames(all.narrow(0, first, std::min(kSegment, frames - first)));
    EXPECT_FALSE(fs::exists(path)) << "the final name appeared before finish()";
  }
  writer.finish();
  EXPECT_EQ(writer.frames_written(), frames);
  return all;
}

VideoWriterOptions small_options(OutputFormat format) {
  VideoWriterOptions options;
  options.format = format;
  options.width = kWidth;
  options.height = kHeight;
  options.threads = 1;
  options.metadata.title = "shot 010";
  options.metadata.prompt = "a snake turns its head";
  options.metadata.seed = 1234;
  options.metadata.model = "wan2.1-i2v-14b";
  return options;
}

struct FormatCase {
  OutputFormat format;
  std::string codec;         // ffprobe codec_name
  std::string pixel_format;  // ffprobe pix_fmt
  double min_psnr;           // dB, see the file comment
};

std::string case_name(const ::testing::TestParamInfo<FormatCase>& info) {
  std::string name = to_string(info.param.format);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

class VideoWriterFormat : public ::testing::TestWithParam<FormatCase> {
 protected:
  ScratchDir scratch_{"video-writer"};
};

TEST_P(VideoWriterFormat, EncodesStreamedSegmentsThatProbeAndDecodeBack) {
  const FormatCase& param = GetParam();
  const OutputFormatInfo& info = output_format_info(param.format);
  const std::string path =
      scratch_.file(std::string("clip") + (info.is_folder ? "" : info.extension));
  const at::Tensor source = encode_gradient(path, small_options(param.format));
  EXPECT_EQ(folder_entries(scratch_.path()),
            std::vector<std::string>{fs::path(path).filename().string()})
      << "a temporary was left beside the output";

  const bool folder = info.is_folder;
  const std::string probe_input = folder ? path + "/frame_%05d.png" : path;
  const std::string input_arguments = folder ? "-f image2 -framerate 16 -start_number 0" : "";
  if (folder) {
    EXPECT_TRUE(fs::exists(path + "/frame_00000.png"));
    EXPECT_TRUE(fs::exists(path + "/frame_00011.png"));
    EXPECT_FALSE(fs::exists(path + "/frame_00012.png"));
  }
  const nlohmann::json probe = ffprobe(probe_input, input_arguments);
  ASSERT_EQ(probe["streams"].size(), 1u) << probe.dump(1);
  const nlohmann::json& stream = probe["streams"][0];
  EXPECT_EQ(stream["codec_name"], param.codec);
  EXPECT_EQ(stream["pix_fmt"], param.pixel_format);
  EXPECT_EQ(stream["width"], kWidth);
  EXPECT_EQ(stream["height"], kHeight);
  EXPECT_EQ(stream["nb_read_frames"], std::to_string(kFrames));
  const double duration = std::stod(probe["format"].value("duration", "0"));
  if (param.format == OutputFormat::Gif) {
    // GIF delays are whole centiseconds (6 or 7 at 16 fps); the total stays 0.75 s.
    EXPECT_NEAR(duration, kFrames / 16.0, 0.011);
  } else {
    EXPECT_EQ(stream["r_frame_rate"], "16/1");
    EXPECT_EQ(stream["avg_frame_rate"], "16/1");
    if (!folder) {
      EXPECT_NEAR(duration, kFrames / 16.0, 0.5 / 16.0);
    }
  }
  const std::string pixel_format = param.pixel_format;
  if (pixel_format.rfind("yuv", 0) == 0) {
    EXPECT_EQ(stream.value("color_space", ""), "bt709");
    EXPECT_EQ(stream.value("color_transfer", ""), "bt709");
    EXPECT_EQ(stream.value("color_primaries", ""), "bt709");
    EXPECT_EQ(stream.value("color_range", ""), "tv");
  }
  if (std::string(info.muxer) == "mp4" || std::string(info.muxer) == "mov") {
    const std::vector<std::string> atoms = top_level_atoms(path);
    const auto moov = std::find(atoms.begin(), atoms.end(), "moov");
    const auto mdat = std::find(atoms.begin(), atoms.end(), "mdat");
    ASSERT_NE(moov, atoms.end());
    ASSERT_NE(mdat, atoms.end());
    EXPECT_LT(moov - atoms.begin(), mdat - atoms.begin()) << "faststart: moov must precede mdat";
  }

  const at::Tensor decoded = decode_with_ffmpeg(probe_input, kWidth, kHeight, input_arguments);
  ASSERT_EQ(decoded.size(0), kFrames);
  const double psnr = psnr_8bit(decoded, source);
  std::cout << "[ psnr    ] " << to_string(param.format) << ": " << psnr << " dB\n";
  EXPECT_GE(psnr, param.min_psnr);
}

INSTANTIATE_TEST_SUITE_P(
    AllDeliverables, VideoWriterFormat,
    ::testing::Values(FormatCase{OutputFormat::H264Mp4, "h264", "yuv420p", 38.0},
                      FormatCase{OutputFormat::Vp9Webm, "vp9", "yuv420p", 35.0},
                      FormatCase{OutputFormat::Av1Webm, "av1", "yuv420p", 35.0},
                      FormatCase{OutputFormat::Av1Mp4, "av1", "yuv420p", 35.0},
                      FormatCase{OutputFormat::ProresMov, "prores", "yuv422p10le", 40.0},
                      FormatCase{OutputFormat::PngSequence, "png", "rgb24", INFINITY},
                      FormatCase{OutputFormat::Gif, "gif", "bgra", 30.0}),
    case_name);

}  // namespace
}  // namespace motionfarm::io
