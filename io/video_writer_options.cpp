#include "io/video_writer_options.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/check.h"

namespace motionfarm::io {
namespace {

bool is_yuv(OutputFormat format) {
  const std::string pixel_format = output_format_info(format).pixel_format;
  return pixel_format.rfind("yuv", 0) == 0;
}

bool is_integer_in(const std::string& text, int low, int high) {
  if (text.empty() || text.size() > 3) return false;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int value = std::atoi(text.c_str());
  return value >= low && value <= high;
}

constexpr std::array<const char*, 10> kX264Presets = {
    "ultrafast", "superfast", "veryfast", "faster",   "fast",
    "medium",    "slow",      "slower",   "veryslow", "placebo"};

}  // namespace

FrameRate parse_frame_rate(const std::string& text) {
  FrameRate rate;
  const size_t slash = text.find('/');
  const std::string numerator = text.substr(0, slash);
  const std::string denominator = slash == std::string::npos ? "1" : text.substr(slash + 1);
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 9 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  MF_CHECK(
      digits(numerator) && digits(denominator), ConfigError,
      "frame rate \"" << text << "\" is not N or N/D with positive integers (e.g. 16, 24000/1001)");
  rate.numerator = std::atoi(numerator.c_str());
  rate.denominator = std::atoi(denominator.c_str());
  MF_CHECK(rate.numerator > 0 && rate.denominator > 0, ConfigError,
           "frame rate \"" << text << "\" must be positive");
  return rate;
}

std::string to_string(const FrameRate& rate) {
  return std::to_string(rate.numerator) + "/" + std::to_string(rate.denominator);
}

int VideoWriterOptions::effective_crf() const {
  if (crf >= 0) return crf;
  switch (format) {
    case OutputFormat::H264Mp4:
      return 18;
    case OutputFormat::Vp9Webm:
      return 30;
    case OutputFormat::Av1Webm:
    case OutputFormat::Av1Mp4:
      return 30;
    case OutputFormat::NvencH264Mp4:
    case OutputFormat::NvencHevcMp4:
      return 23;
    default:
      return -1;
  }
}

std::string VideoWriterOptions::effective_preset() const {
  if (!preset.empty()) return preset;
  switch (format) {
    case OutputFormat::H264Mp4:
      return "medium";
    case OutputFormat::Vp9Webm:
      return "4";
    case OutputFormat::Av1Webm:
    case OutputFormat::Av1Mp4:
      return "8";
    case OutputFormat::NvencH264Mp4:
    case OutputFormat::NvencHevcMp4:
      return "p5";
    default:
      return "";
  }
}

void VideoWriterOptions::validate() const {
  const char* name = to_string(format);
  MF_CHECK(width > 0 && height > 0, ConfigError,
           "video size " << width << "x" << height << " must be positive");
  MF_CHECK(width <= 16384 && height <= 16384, ConfigError,
           "video size " << width << "x" << height << " is over 16384 on a side");
  if (is_yuv(format)) {
    MF_CHECK(width % 2 == 0 && height % 2 == 0, ConfigError,
             "format " << name
                       << " stores chroma at half width/height, so the size must be even; got "
                       << width << "x" << height);
  }
  if (format == OutputFormat::Av1Webm || format == OutputFormat::Av1Mp4) {
    MF_CHECK(width >= 64 && height >= 64, ConfigError,
             "SVT-AV1 needs at least 64x64 pixels; got " << width << "x" << height);
  }
  MF_CHECK(frame_rate.numerator > 0 && frame_rate.denominator > 0, ConfigError,
           "frame rate " << to_string(frame_rate) << " must be positive");
  MF_CHECK(frame_rate.value() <= 240.0, ConfigError,
           "frame rate " << to_string(frame_rate) << " is over 240 fps");
  if (format == OutputFormat::Gif) {
    MF_CHECK(frame_rate.value() <= 50.0, ConfigError,
             "GIF delays are in 1/100 s, so frame rates over 50 fps do not play back; got "
                 << to_string(frame_rate));
  }
  MF_CHECK(threads >= 0 && threads <= 256, ConfigError,
           "encoder threads " << threads << " out of 0..256");
  MF_CHECK(webp_quality >= 0 && webp_quality <= 100, ConfigError,
           "webp_quality " << webp_quality << " is outside 0..100");
  const int quality = effective_crf();
  const std::string speed = effective_preset();
  switch (format) {
    case OutputFormat::H264Mp4:
      MF_CHECK(quality <= 51, ConfigError, "x264 CRF " << quality << " is outside 0..51");
      MF_CHECK(std::find_if(kX264Presets.begin(), kX264Presets.end(),
                            [&](const char* p) { return speed == p; }) != kX264Presets.end(),
               ConfigError,
               "x264 preset \"" << speed
                                << "\" is not one of ultrafast, superfast, veryfast, "
                                   "faster, fast, medium, slow, slower, veryslow, placebo");
      break;
    case OutputFormat::Vp9Webm:
      MF_CHECK(quality <= 63, ConfigError, "VP9 CRF " << quality << " is outside 0..63");
      MF_CHECK(is_integer_in(speed, 0, 8), ConfigError,
               "VP9 preset (cpu-used) \"" << speed << "\" is not 0..8");
      break;
    case OutputFormat::Av1Webm:
    case OutputFormat::Av1Mp4:
      MF_CHECK(quality <= 63, ConfigError, "SVT-AV1 CRF " << quality << " is outside 0..63");
      MF_CHECK(is_integer_in(speed, 0, 13), ConfigError,
               "SVT-AV1 preset \"" << speed << "\" is not 0..13");
      break;
    case OutputFormat::NvencH264Mp4:
    case OutputFormat::NvencHevcMp4:
      MF_CHECK(quality <= 51, ConfigError, "NVENC CQ " << quality << " is outside 0..51");
      MF_CHECK(speed.size() == 2 && speed[0] == 'p' && speed[1] >= '1' && speed[1] <= '7',
               ConfigError, "NVENC preset \"" << speed << "\" is not p1..p7");
      break;
    default:
      break;
  }
}

}  // namespace motionfarm::io
