// Encode throughput of VideoWriter next to the ffmpeg command line, same codec settings, same
// frames, in one run.
//
//   bench_encode [--width W] [--height H] [--frames N] [--formats mp4,webm,av1-mp4,prores]
//                [--threads T]
//
// For each format: VideoWriter encodes the frames from a float tensor (the pipeline's real input,
// so the float -> RGB packing and the libswscale conversion are included), pushed in segments of
// 16; then the same frames, packed to raw RGB (8-bit, or 16-bit for ProRes) in a file beforehand,
// are encoded by `ffmpeg -f rawvideo` with the same encoder, options, BT.709 conversion and
// container flags. Both times are wall clock from start to the finished file. Prints frames/s for
// each, the ratio VideoWriter / CLI (> 1: the library path is faster), and the exact commands.
#include <ATen/ATen.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/output_format.h"
#include "io/video_writer.h"

namespace {

namespace fs = std::filesystem;
using motionfarm::io::OutputFormat;
using motionfarm::io::VideoWriter;
using motionfarm::io::VideoWriterOptions;

struct Options {
  int width = 832;  // Wan 480p
  int height = 480;
  int frames = 33;
  int threads = 0;  // 0: each encoder's own default, for both paths
  std::vector<std::string> formats = {"mp4", "webm", "av1-mp4", "prores"};
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--width") {
      options.width = std::stoi(value);
    } else if (arg == "--height") {
      options.height = std::stoi(value);
    } else if (arg == "--frames") {
      options.frames = std::stoi(value);
    } else if (arg == "--threads") {
      options.threads = std::stoi(value);
    } else if (arg == "--formats") {
      options.formats.clear();
      std::stringstream list(value);
      for (std::string name; std::getline(list, name, ',');) options.formats.push_back(name);
    } else {
      throw std::runtime_error(
          "usage: bench_encode [--width W] [--height H] [--frames N] [--formats a,b] [--threads "
          "T]");
    }
  }
  return options;
}

// A smooth moving pattern: [count, 3, height, width] in [-1, 1].
at::Tensor moving_gradient(int64_t count, int64_t height, int64_t width) {
  const double pi = 3.14159265358979323846;
  const at::Tensor u = at::arange(width, at::kFloat).div(width).view({1, 1, width});
  const at::Tensor v = at::arange(height, at::kFloat).div(height).view({1, height, 1});
  const at::Tensor t = at::arange(count, at::kFloat).view({count, 1, 1});
  const at::Tensor red = (2 * pi * (u + 0.03 * t)).sin() * 0.8 + 0 * v;
  const at::Tensor green = (2 * pi * (v - 0.02 * t)).cos() * 0.8 + 0 * u;
  const at::Tensor blue = (2 * pi * (0.5 * (u + v) + 0.05 * t)).sin() * 0.6;
  return at::stack({red, green, blue}, 1).contiguous();
}

// The frames packed as VideoWriter packs them: round((x + 1) * 127.5) or * 32767.5, ties to even.
void write_raw(const at::Tensor& frames, bool sixteen_bit, const std::string& path) {
  const at::Tensor hwc = frames.clamp(-1, 1).add(1).permute({0, 2, 3, 1}).contiguous();
  std::ofstream out(path, std::ios::binary);
  if (sixteen_bit) {
    const at::Tensor values = hwc.mul(32767.5).round().to(at::kInt);
    std::vector<uint16_t> samples(size_t(values.numel()));
    const int32_t* source = values.data_ptr<int32_t>();
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = uint16_t(source[i]);
    out.write(reinterpret_cast<const char*>(samples.data()), std::streamsize(samples.size() * 2));
  } else {
    const at::Tensor values = hwc.mul(127.5).round().to(at::kByte);
    out.write(reinterpret_cast<const char*>(values.data_ptr<uint8_t>()),
              std::streamsize(values.numel()));
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

// The ffmpeg arguments that match VideoWriter's settings for `format` (video_encoder_setup.cpp).
std::string cli_codec_arguments(OutputFormat format, int threads) {
  const std::string to_yuv = [&] {
    const std::string target = format == OutputFormat::ProresMov ? "yuv422p10le" : "yuv420p";
    return " -vf "
           "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_inp,"
           "format=" +
           target + " -color_primaries bt709 -color_trc bt709 -colorspace bt709 -color_range tv";
  }();
  const std::string thread_flag = " -threads " + std::to_string(threads);
  switch (format) {
    case OutputFormat::H264Mp4:
      return to_yuv + " -c:v libx264 -crf 18 -preset medium" + thread_flag +
             " -movflags +faststart+use_metadata_tags -f mp4";
    case OutputFormat::Vp9Webm:
      return to_yuv + " -c:v libvpx-vp9 -crf 30 -b:v 0 -deadline good -cpu-used 4 -row-mt 1" +
             thread_flag + " -f webm";
    case OutputFormat::Av1Mp4:
      return to_yuv + " -c:v libsvtav1 -crf 30 -preset 8" + thread_flag +
             " -movflags +faststart+use_metadata_tags -f mp4";
    case OutputFormat::Av1Webm:
      return to_yuv + " -c:v libsvtav1 -crf 30 -preset 8" + thread_flag + " -f webm";
    case OutputFormat::ProresMov:
      return to_yuv + " -c:v prores_ks -profile:v hq -vendor apl0" + thread_flag +
             " -movflags +faststart+use_metadata_tags -f mov";
    default:
      throw std::runtime_error(
          std::string("the bench compares mp4, webm, av1-mp4, av1-webm and prores; not ") +
          motionfarm::io::to_string(format));
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    const fs::path scratch =
        fs::temp_directory_path() / ("motionfarm-bench-encode-" + std::to_string(::getpid()));
    fs::create_directories(scratch);
    const at::Tensor frames = moving_gradient(options.frames, options.height, options.width);
    std::cout << "encode throughput, " << options.frames << " frames of " << options.width << "x"
              << options.height << " at 16 fps, threads " << options.threads
              << " (0 = encoder default)\n\n";
    std::cout << std::left << std::setw(10) << "format" << std::right << std::setw(18)
              << "VideoWriter fps" << std::setw(14) << "ffmpeg fps" << std::setw(10) << "ratio"
              << "\n";
    std::vector<std::string> commands;
    for (const std::string& name : options.formats) {
      const OutputFormat format = motionfarm::io::parse_output_format(name);
      const std::string extension = motionfarm::io::output_format_info(format).extension;
      const bool sixteen_bit = format == OutputFormat::ProresMov;

      VideoWriterOptions writer_options;
      writer_options.format = format;
      writer_options.width = options.width;
      writer_options.height = options.height;
      writer_options.threads = options.threads;
      const auto library_start = std::chrono::steady_clock::now();
      VideoWriter writer((scratch / ("library" + extension)).string(), writer_options);
      for (int64_t first = 0; first < options.frames; first += 16) {
        writer.write_frames(frames.narrow(0, first, std::min<int64_t>(16, options.frames - first)));
      }
      writer.finish();
      const double library_seconds = seconds_since(library_start);

      const std::string raw = (scratch / (sixteen_bit ? "frames.rgb48" : "frames.rgb24")).string();
      write_raw(frames, sixteen_bit, raw);
      const std::string command = "ffmpeg -nostdin -v error -y -f rawvideo -pix_fmt " +
                                  std::string(sixteen_bit ? "rgb48le" : "rgb24") + " -s " +
                                  std::to_string(options.width) + "x" +
                                  std::to_string(options.height) + " -framerate 16 -i " + raw +
                                  cli_codec_arguments(format, options.threads) + " " +
                                  (scratch / ("cli" + extension)).string();
      const auto cli_start = std::chrono::steady_clock::now();
      if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
      const double cli_seconds = seconds_since(cli_start);

      const double library_fps = options.frames / library_seconds;
      const double cli_fps = options.frames / cli_seconds;
      std::cout << std::left << std::setw(10) << name << std::right << std::fixed
                << std::setprecision(1) << std::setw(18) << library_fps << std::setw(14) << cli_fps
                << std::setprecision(2) << std::setw(10) << library_fps / cli_fps << "\n";
      commands.push_back(command);
    }
    std::cout << "\nffmpeg commands (raw frames written beforehand, not timed):\n";
    for (const std::string& command : commands) std::cout << "  " << command << "\n";
    fs::remove_all(scratch);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_encode: " << error.what() << "\n";
    return 1;
  }
}
