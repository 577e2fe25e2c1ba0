// Options of a VideoWriter: format, size, frame rate, quality knobs and container metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/output_format.h"

namespace motionfarm::io {

// Frames per second as a fraction, so NTSC rates stay exact (24000/1001, not 23.976).
struct FrameRate {
  int numerator = 16;  // Wan generates 16 fps
  int denominator = 1;

  double value() const { return double(numerator) / double(denominator); }
};

// "16", "24000/1001"; throws ConfigError otherwise.
FrameRate parse_frame_rate(const std::string& text);
std::string to_string(const FrameRate& rate);

// Written into the container where it has tags (MP4/MOV, WebM); PNG, WebP and GIF outputs carry
// none. Empty fields are not written.
struct VideoMetadata {
  std::string title;
  std::string prompt;  // written as "comment" (the tag players show) and as "prompt"
  std::optional<int64_t> seed;
  std::string model;
  std::string motionfarm_version;  // VideoWriter fills in this build's version when empty
};

struct VideoWriterOptions {
  OutputFormat format = OutputFormat::H264Mp4;
  int width = 0;  // even for the YUV formats (4:2:0 / 4:2:2 chroma)
  int height = 0;
  FrameRate frame_rate;
  // Constant-quality setting: x264 CRF 0..51 (default 18), VP9 CRF 0..63 (default 30), SVT-AV1
  // CRF 0..63 (default 30), NVENC CQ 0..51 (default 23); -1 picks the default. ProRes, PNG, WebP
  // and GIF ignore it.
  int crf = -1;
  // Speed/size trade-off: x264 preset name (default "medium"), VP9 cpu-used "0".."8" (default
  // "4"), SVT-AV1 preset "0".."13" (default "8"), NVENC "p1".."p7" (default "p5"); "" picks the
  // default.
  std::string preset;
  int webp_quality = 80;   // libwebp quality 0..100 (lossy)
  bool png_16bit = false;  // PNG frames as 16-bit RGB instead of 8-bit
  int threads = 0;         // encoder threads; 0 lets the encoder choose
  VideoMetadata metadata;

  // Throws ConfigError naming the option, the value and what is allowed.
  void validate() const;
  // The CRF / preset that apply to `format` (the defaults above filled in).
  int effective_crf() const;
  std::string effective_preset() const;
};

}  // namespace motionfarm::io
