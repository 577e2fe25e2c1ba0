// VideoWriter beyond the per-format round trip: options and their errors, rational frame rates,
// container metadata, 16-bit PNG, animated WebP (checked from its RIFF chunks, which FFmpeg 5.1
// cannot demux), NVENC without a GPU, and the temporary-name rules when a writer is abandoned.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "core/error.h"
#include "io/image_decoder.h"
#include "io/output_format.h"
#include "io/staged_output.h"
#include "io/video_writer.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;
using motionfarm::testing::shell_quote;
using namespace media_test;

VideoWriterOptions options_for(OutputFormat format, int width = 64, int height = 48) {
  VideoWriterOptions options;
  options.format = format;
  options.width = width;
  options.height = height;
  options.threads = 1;
  return options;
}

template <class Function>
std::string config_error_of(Function&& function) {
  try {
    function();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no ConfigError)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(OutputFormatNames, ParseEveryNameAndListThemOnError) {
  for (const OutputFormatInfo& info : output_formats()) {
    EXPECT_EQ(parse_output_format(info.name), info.format);
    EXPECT_STREQ(to_string(info.format), info.name);
  }
  const std::string message = config_error_of([] { parse_output_format("avi"); });
  EXPECT_TRUE(contains(message, "unknown output format \"avi\"")) << message;
  EXPECT_TRUE(contains(
      message, "mp4, webm, av1-webm, av1-mp4, prores, png, webp, gif, nvenc-h264, nvenc-hevc"))
      << message;
}

TEST(VideoWriterOptionsValidate, RejectsBadValuesNamingThem) {
  const auto error_for = [](VideoWriterOptions options) {
    return config_error_of([&] { options.validate(); });
  };
  VideoWriterOptions options = options_for(OutputFormat::H264Mp4);
  EXPECT_NO_THROW(options.validate());
  options.width = 65;
  EXPECT_TRUE(contains(error_for(options), "size must be even")) << error_for(options);
  options = options_for(OutputFormat::H264Mp4);
  options.crf = 60;
  EXPECT_TRUE(contains(error_for(options), "x264 CRF 60 is outside 0..51"));
  options.crf = -1;
  options.preset = "quick";
  EXPECT_TRUE(contains(error_for(options), "x264 preset \"quick\" is not one of"));
  options = options_for(OutputFormat::Vp9Webm);
  options.preset = "9";
  EXPECT_TRUE(contains(error_for(options), "VP9 preset (cpu-used) \"9\" is not 0..8"));
  options = options_for(OutputFormat::Av1Mp4, 32, 32);
  EXPECT_TRUE(contains(error_for(options), "SVT-AV1 needs at least 64x64"));
  options = options_for(OutputFormat::Gif);
  options.frame_rate = {60, 1};
  EXPECT_TRUE(contains(error_for(options), "GIF delays are in 1/100 s"));
  options = options_for(OutputFormat::WebpAnimated);
  options.webp_quality = 101;
  EXPECT_TRUE(contains(error_for(options), "webp_quality 101"));
  options = options_for(OutputFormat::PngSequence, 0, 48);
  EXPECT_TRUE(contains(error_for(options), "must be positive"));
}

TEST(FrameRates, ParseRationalsAndRejectGarbage) {
  const FrameRate ntsc = parse_frame_rate("24000/1001");
  EXPECT_EQ(ntsc.numerator, 24000);
  EXPECT_EQ(ntsc.denominator, 1001);
  EXPECT_EQ(parse_frame_rate("16").denominator, 1);
  EXPECT_EQ(to_string(ntsc), "24000/1001");
  for (const std::string bad : {"", "0", "16/0", "23.976", "-5", "a/b"}) {
    EXPECT_TRUE(contains(config_error_of([&] { parse_frame_rate(bad); }), "frame rate")) << bad;
  }
}

TEST(VideoWriterMetadata, RationalRateAndTagsReachTheContainer) {
  ScratchDir scratch("video-metadata");
  for (const std::string name : {"tagged.mp4", "tagged.webm"}) {
    VideoWriterOptions options =
        options_for(name == "tagged.mp4" ? OutputFormat::H264Mp4 : OutputFormat::Vp9Webm);
    options.frame_rate = parse_frame_rate("24000/1001");
    options.metadata.title = "shot 010 v3";
    options.metadata.prompt = "a girl turns and smiles";
    options.metadata.seed = 987654321;
    options.metadata.model = "wan2.2-i2v-a14b";
    const std::string path = scratch.file(name);
    VideoWriter writer(path, options);
    writer.write_frames(moving_gradient(10, 48, 64));
    writer.finish();
    const nlohmann::json probe = ffprobe(path);
    const nlohmann::json& stream = probe["streams"][0];
    EXPECT_EQ(stream["r_frame_rate"], "24000/1001") << name;
    EXPECT_EQ(stream["nb_read_frames"], "10");
    EXPECT_NEAR(std::stod(probe["format"]["duration"].get<std::string>()), 10 * 1001 / 24000.0,
                0.03)
        << name;
    // Matroska stores tag names in upper case; compare names case-insensitively.
    std::map<std::string, std::string> tags;
    for (const auto& [key, value] : probe["format"]["tags"].items()) {
      std::string lower = key;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      tags[lower] = value.get<std::string>();
    }
    EXPECT_EQ(tags["title"], "shot 010 v3") << name;
    EXPECT_EQ(tags["comment"], "a girl turns and smiles") << name;
    EXPECT_EQ(tags["seed"], "987654321") << name;
    EXPECT_EQ(tags["model"], "wan2.2-i2v-a14b") << name;
    EXPECT_EQ(tags["motionfarm_version"], core::build_info().version) << name;
  }
}

TEST(VideoWriterPng, SixteenBitFramesKeepSixteenBits) {
  ScratchDir scratch("png16");
  VideoWriterOptions options = options_for(OutputFormat::PngSequence);
  options.png_16bit = true;
  // Values between 8-bit steps.
  const at::Tensor frames =
      at::linspace(-0.5, -0.49, 64).view({1, 1, 1, 64}).expand({2, 3, 48, 64}).contiguous();
  VideoWriter writer(scratch.file("deep"), options);
  writer.write_frames(frames);
  writer.finish();
  const nlohmann::json probe = ffprobe(scratch.file("deep/frame_00001.png"));
  EXPECT_EQ(probe["streams"][0]["pix_fmt"], "rgb48be");
  const DecodedImage image = decode_image(scratch.file("deep/frame_00001.png"));
  EXPECT_LE((image.pixels - frames[1]).abs().max().item<float>(), 1.01f / 65535.0f * 2.0f);
}

// ---- animated WebP: FFmpeg 5.1 cannot demux it, so read the RIFF chunks directly --------------

struct WebpFrame {
  int x = 0, y = 0, width = 0, height = 0, duration_ms = 0;
  bool blend = false, dispose = false;
  std::string image_chunks;  // ALPH / VP8 / VP8L chunks of the frame
};

uint32_t le(const std::string& bytes, size_t offset, int count) {
  uint32_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | uint8_t(bytes.at(offset + i));
  return value;
}

std::vector<WebpFrame> webp_frames(const std::string& bytes, int& canvas_width, int& canvas_height,
                                   int& loops) {
  std::vector<WebpFrame> frames;
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(bytes.substr(8, 4), "WEBP");
  EXPECT_EQ(le(bytes, 4, 4) + 8, bytes.size()) << "RIFF size";
  for (size_t offset = 12; offset + 8 <= bytes.size();) {
    const std::string type = bytes.substr(offset, 4);
    const uint32_t size = le(bytes, offset + 4, 4);
    const size_t body = offset + 8;
    if (type == "VP8X") {
      EXPECT_TRUE(uint8_t(bytes[body]) & 0x02) << "animation flag";
      canvas_width = int(le(bytes, body + 4, 3)) + 1;
      canvas_height = int(le(bytes, body + 7, 3)) + 1;
    } else if (type == "ANIM") {
      loops = int(le(bytes, body + 4, 2));
    } else if (type == "ANMF") {
      WebpFrame frame;
      frame.x = 2 * int(le(bytes, body, 3));
      frame.y = 2 * int(le(bytes, body + 3, 3));
      frame.width = int(le(bytes, body + 6, 3)) + 1;
      frame.height = int(le(bytes, body + 9, 3)) + 1;
      frame.duration_ms = int(le(bytes, body + 12, 3));
      frame.blend = !(uint8_t(bytes[body + 15]) & 0x02);
      frame.dispose = uint8_t(bytes[body + 15]) & 0x01;
      frame.image_chunks = bytes.substr(body + 16, size - 16);
      frames.push_back(frame);
    }
    offset = body + size + (size & 1);
  }
  return frames;
}

// Rebuilds every displayed frame (composited on the canvas as the WebP spec says) with the ffmpeg
// CLI decoding each frame's still image. Returns [N, 3, H, W] in [-1, 1].
at::Tensor decode_webp_animation(const std::string& bytes, const std::vector<WebpFrame>& frames,
                                 int width, int height, const std::string& scratch) {
  at::Tensor canvas = at::zeros({4, height, width}, at::kFloat);  // RGBA in [0, 1]
  std::vector<at::Tensor> shown;
  int index = 0;
  for (const WebpFrame& frame : frames) {
    const bool alpha = frame.image_chunks.substr(0, 4) == "ALPH";
    std::string still = "WEBP";
    if (alpha) {
      std::string vp8x(10, '\0');
      vp8x[0] = 0x10;
      for (int i = 0; i < 3; ++i) {
        vp8x[4 + i] = char(((frame.width - 1) >> (8 * i)) & 0xff);
        vp8x[7 + i] = char(((frame.height - 1) >> (8 * i)) & 0xff);
      }
      still += std::string("VP8X\x0a\0\0\0", 8) + vp8x;
    }
    still += frame.image_chunks;
    const uint32_t riff = uint32_t(still.size());
    still = std::string("RIFF") + char(riff & 0xff) + char((riff >> 8) & 0xff) +
            char((riff >> 16) & 0xff) + char(riff >> 24) + still;
    const std::string path = scratch + "/frame" + std::to_string(index++) + ".webp";
    write_bytes(path, still);
    const std::string raw = path + ".rgba";
    run_ffmpeg("-i " + shell_quote(path) + " -f rawvideo -pix_fmt rgba " + shell_quote(raw));
    const std::string pixels = read_bytes(raw);
    EXPECT_EQ(pixels.size(), size_t(frame.width) * frame.height * 4);
    at::Tensor sub = at::empty({frame.height, frame.width, 4}, at::kByte);
    std::memcpy(sub.data_ptr<uint8_t>(), pixels.data(),
                std::min(pixels.size(), size_t(sub.numel())));
    sub = sub.permute({2, 0, 1}).to(at::kFloat).div(255.0);  // [4, h, w]
    at::Tensor region = canvas.narrow(1, frame.y, frame.height).narrow(2, frame.x, frame.width);
    if (frame.blend) {
      const at::Tensor a = sub.narrow(0, 3, 1);
      region.narrow(0, 0, 3).copy_(sub.narrow(0, 0, 3) * a + region.narrow(0, 0, 3) * (1 - a));
      region.narrow(0, 3, 1).copy_(a + region.narrow(0, 3, 1) * (1 - a));
    } else {
      region.copy_(sub);
    }
    shown.push_back(canvas.narrow(0, 0, 3).clone() * 2 - 1);
    if (frame.dispose) region.zero_();
  }
  return at::stack(shown);
}

TEST(VideoWriterWebp, AnimatedWebpHasEveryFrameWithItsTiming) {
  ScratchDir scratch("webp-anim");
  const int frames = 8, width = 96, height = 64;
  VideoWriterOptions options = options_for(OutputFormat::WebpAnimated, width, height);
  options.frame_rate = {10, 1};
  const std::string path = scratch.file("preview.webp");
  const at::Tensor source = moving_gradient(frames, height, width);
  VideoWriter writer(path, options);
  writer.write_frames(source.narrow(0, 0, 5));
  writer.write_frames(source.narrow(0, 5, 3));
  writer.finish();

  int canvas_width = 0, canvas_height = 0, loops = -1;
  const std::string bytes = read_bytes(path);
  const std::vector<WebpFrame> parsed = webp_frames(bytes, canvas_width, canvas_height, loops);
  EXPECT_EQ(canvas_width, width);
  EXPECT_EQ(canvas_height, height);
  EXPECT_EQ(loops, 0) << "previews loop forever";
  ASSERT_EQ(parsed.size(), size_t(frames));
  int total_ms = 0;
  for (const WebpFrame& frame : parsed) {
    EXPECT_EQ(frame.duration_ms, 100) << "10 fps";
    total_ms += frame.duration_ms;
  }
  EXPECT_EQ(total_ms, 800);
  const at::Tensor decoded = decode_webp_animation(bytes, parsed, width, height, scratch.path());
  const double psnr = psnr_8bit(decoded, source);
  std::cout << "[ psnr    ] webp: " << psnr << " dB\n";
  EXPECT_GE(psnr, 32.0);
}

// ---- NVENC and abandoned writers ---------------------------------------------------------------

bool machine_has_nvidia_gpu() { return fs::exists("/dev/nvidia0") || fs::exists("/dev/nvidiactl"); }

TEST(VideoWriterNvenc, WithoutAGpuFailsWithAClearMessageAndLeavesNothing) {
  ScratchDir scratch("nvenc");
  for (OutputFormat format : {OutputFormat::NvencH264Mp4, OutputFormat::NvencHevcMp4}) {
    const std::string path = scratch.file(std::string(to_string(format)) + ".mp4");
    if (machine_has_nvidia_gpu()) {
      // A GPU node: NVENC must work and produce the codec asked for.
      VideoWriter writer(path, options_for(format, 256, 128));
      writer.write_frames(moving_gradient(6, 128, 256));
      writer.finish();
      const nlohmann::json probe = ffprobe(path);
      EXPECT_EQ(probe["streams"][0]["codec_name"],
                format == OutputFormat::NvencH264Mp4 ? "h264" : "hevc");
      EXPECT_EQ(probe["streams"][0]["nb_read_frames"], "6");
      continue;
    }
    const std::string message = config_error_of([&] { VideoWriter(path, options_for(format)); });
    EXPECT_TRUE(contains(message, "needs NVENC")) << message;
    EXPECT_TRUE(contains(message, "NVIDIA GPU")) << message;
    EXPECT_TRUE(contains(message, "use mp4 (libx264) instead")) << message;
    EXPECT_TRUE(fs::is_empty(scratch.path())) << "nothing may be left behind";
  }
}

TEST(VideoWriterStaging, AnAbandonedWriterRemovesItsTemporaryAndNeverWritesTheFinalName) {
  ScratchDir scratch("abandoned");
  const std::string path = scratch.file("clip.mp4");
  {
    VideoWriter writer(path, options_for(OutputFormat::H264Mp4));
    writer.write_frames(moving_gradient(4, 48, 64));
    EXPECT_TRUE(fs::exists(writer.temporary_path()));
    EXPECT_EQ(fs::path(writer.temporary_path()).parent_path(), fs::path(scratch.path()))
        << "the temporary must be in the same folder, so the rename is atomic";
    // A wrong shape is refused without breaking the writer.
    EXPECT_THROW(writer.write_frames(at::zeros({1, 3, 48, 65})), ConfigError);
    EXPECT_THROW(writer.write_frames(at::zeros({3, 48, 64})), ConfigError);
    writer.write_frames(moving_gradient(2, 48, 64, 4));
  }  // destroyed without finish(), as when an exception unwinds the task
  EXPECT_TRUE(fs::is_empty(scratch.path()));

  // finish() without frames is an error and leaves nothing either.
  {
    VideoWriter writer(path, options_for(OutputFormat::H264Mp4));
    EXPECT_THROW(writer.finish(), Error);
  }
  EXPECT_TRUE(fs::is_empty(scratch.path()));
}

TEST(VideoWriterStaging, FinishReplacesAnOldOutputAtomically) {
  ScratchDir scratch("replace");
  for (OutputFormat format : {OutputFormat::H264Mp4, OutputFormat::PngSequence}) {
    const std::string path =
        scratch.file(format == OutputFormat::PngSequence ? "frames" : "clip.mp4");
    for (int frames : {3, 5}) {
      VideoWriter writer(path, options_for(format));
      writer.write_frames(moving_gradient(frames, 48, 64));
      writer.finish();
    }
    const std::string probe_input =
        format == OutputFormat::PngSequence ? path + "/frame_%05d.png" : path;
    const std::string arguments =
        format == OutputFormat::PngSequence ? "-f image2 -start_number 0" : "";
    EXPECT_EQ(ffprobe(probe_input, arguments)["streams"][0]["nb_read_frames"], "5");
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 2);
}

TEST(VideoWriterStaging, OutputFolderMustExist) {
  ScratchDir scratch("no-folder");
  EXPECT_THROW(VideoWriter(scratch.file("missing/clip.mp4"), options_for(OutputFormat::H264Mp4)),
               Error);
}

}  // namespace
}  // namespace motionfarm::io
