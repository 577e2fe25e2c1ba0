// Helpers shared by the media tests: fixture bytes, test patterns, and independent checks of
// what io/ wrote through the ffmpeg/ffprobe command-line tools (never through io/ itself).
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace motionfarm::io::media_test {

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);

// Runs `ffmpeg -v error -y <arguments>`; throws std::runtime_error with its output on failure.
void run_ffmpeg(const std::string& arguments);

// Writes packed pixels (`pixel_format` as FFmpeg names it, e.g. rgb24, rgba, rgb48le) to a raw
// file and converts it with the ffmpeg CLI into `output`; `output_arguments` go before the name.
void encode_raw_with_ffmpeg(const std::string& raw, const std::string& pixel_format, int width,
                            int height, const std::string& output,
                            const std::string& output_arguments = "");

// A smooth, moving colour pattern that lossy codecs reproduce well: [count, 3, height, width]
// float in [-1, 1]; frame t differs from frame t + 1 by a small shift.
at::Tensor moving_gradient(int64_t count, int64_t height, int64_t width, int64_t first = 0);
// One frame of the pattern as packed 8-bit RGB bytes (what the fixture encoders get).
std::string to_rgb24_bytes(const at::Tensor& image);

// ffprobe -v error -show_streams -show_format -count_frames -of json [input_arguments] input.
nlohmann::json ffprobe(const std::string& input, const std::string& input_arguments = "");

// Decodes every frame with the ffmpeg CLI into [N, 3, height, width] float in [-1, 1] (8-bit).
at::Tensor decode_with_ffmpeg(const std::string& input, int64_t width, int64_t height,
                              const std::string& input_arguments = "");

// Both in [-1, 1]; `reference` is first quantised to 8 bits as an encoder would see it. In dB on
// the 0..255 scale; +inf when equal.
double psnr_8bit(const at::Tensor& decoded, const at::Tensor& reference);

// The four-character types of an MP4/MOV file's top-level boxes, in file order.
std::vector<std::string> top_level_atoms(const std::string& path);

}  // namespace motionfarm::io::media_test
