#include "tests/unit/io/media_test_support.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "tests/support/run_command.h"

namespace motionfarm::io::media_test {

using motionfarm::testing::run_command;
using motionfarm::testing::shell_quote;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void run_ffmpeg(const std::string& arguments) {
  const auto result = run_command("ffmpeg -nostdin -hide_banner -v error -y " + arguments);
  if (result.exit_code != 0) {
    throw std::runtime_error("ffmpeg " + arguments + " failed:\n" + result.output);
  }
}

void encode_raw_with_ffmpeg(const std::string& raw, const std::string& pixel_format, int width,
                            int height, const std::string& output,
                            const std::string& output_arguments) {
  const std::string raw_path = output + ".raw";
  write_bytes(raw_path, raw);
  run_ffmpeg("-f rawvideo -pix_fmt " + pixel_format + " -s " + std::to_string(width) + "x" +
             std::to_string(height) + " -i " + shell_quote(raw_path) + " -frames:v 1 " +
             output_arguments + " " + shell_quote(output));
  std::remove(raw_path.c_str());
}

at::Tensor moving_gradient(int64_t count, int64_t height, int64_t width, int64_t first) {
  const double pi = 3.14159265358979323846;
  at::Tensor frames = at::empty({count, 3, height, width}, at::kFloat);
  auto access = frames.accessor<float, 4>();
  for (int64_t n = 0; n < count; ++n) {
    const double t = double(first + n);
    for (int64_t y = 0; y < height; ++y) {
      for (int64_t x = 0; x < width; ++x) {
        const double u = double(x) / width, v = double(y) / height;
        access[n][0][y][x] = float(0.8 * std::sin(2 * pi * (u + 0.03 * t)));
        access[n][1][y][x] = float(0.8 * std::cos(2 * pi * (v - 0.02 * t)));
        access[n][2][y][x] = float(0.6 * std::sin(2 * pi * (0.5 * (u + v) + 0.05 * t)));
      }
    }
  }
  return frames;
}

std::string to_rgb24_bytes(const at::Tensor& image) {
  const at::Tensor bytes =
      ((image.clamp(-1, 1) + 1) * 127.5).round().to(at::kByte).permute({1, 2, 0}).contiguous();
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                     size_t(bytes.numel()));
}

nlohmann::json ffprobe(const std::string& input, const std::string& input_arguments) {
  const auto result =
      run_command("ffprobe -v error -show_streams -show_format -count_frames -of json " +
                  input_arguments + " " + shell_quote(input));
  if (result.exit_code != 0)
    throw std::runtime_error("ffprobe " + input + " failed:\n" + result.output);
  return nlohmann::json::parse(result.output);
}

at::Tensor decode_with_ffmpeg(const std::string& input, int64_t width, int64_t height,
                              const std::string& input_arguments) {
  const std::string raw_path = input + ".decoded.rgb";
  run_ffmpeg(input_arguments + " -i " + shell_quote(input) + " -f rawvideo -pix_fmt rgb24 " +
             shell_quote(raw_path));
  const std::string bytes = read_bytes(raw_path);
  std::remove(raw_path.c_str());
  const int64_t frame_bytes = width * height * 3;
  if (bytes.empty() || int64_t(bytes.size()) % frame_bytes != 0) {
    throw std::runtime_error("decoded " + std::to_string(bytes.size()) + " bytes from " + input +
                             ", not a whole number of " + std::to_string(width) + "x" +
                             std::to_string(height) + " frames");
  }
  const int64_t count = int64_t(bytes.size()) / frame_bytes;
  at::Tensor packed = at::empty({count, height, width, 3}, at::kByte);
  std::memcpy(packed.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return packed.permute({0, 3, 1, 2}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
}

double psnr_8bit(const at::Tensor& decoded, const at::Tensor& reference) {
  const at::Tensor a = ((decoded.clamp(-1, 1) + 1) * 127.5).round().to(at::kDouble);
  const at::Tensor b = ((reference.clamp(-1, 1) + 1) * 127.5).round().to(at::kDouble);
  const double mse = (a - b).pow(2).mean().item<double>();
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

std::vector<std::string> top_level_atoms(const std::string& path) {
  const std::string bytes = read_bytes(path);
  std::vector<std::string> atoms;
  size_t offset = 0;
  while (offset + 8 <= bytes.size()) {
    const auto byte = [&](size_t i) { return uint64_t(uint8_t(bytes[offset + i])); };
    uint64_t size = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
    atoms.push_back(bytes.substr(offset + 4, 4));
    if (size == 1 && offset + 16 <= bytes.size()) {  // 64-bit size follows the type
      size = 0;
      for (int i = 8; i < 16; ++i) size = (size << 8) | byte(i);
    } else if (size == 0) {  // to the end of the file
      break;
    }
    if (size < 8) break;
    offset += size;
  }
  return atoms;
}

}  // namespace motionfarm::io::media_test
