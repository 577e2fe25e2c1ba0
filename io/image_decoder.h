// Decodes a still image (PNG incl. 16-bit, JPEG, WebP, TIFF, BMP; colour, grayscale, with or
// without alpha) into the RGB float tensor the pipeline conditions on.
//
// The file is checked before FFmpeg sees it: missing, empty, not an image, zero-size, over the
// pixel limit (read from the header, before any pixel is decoded) and truncated files are
// rejected with an InputError that names the file and the reason; data that FFmpeg cannot decode
// is rejected as corrupt. EXIF orientation is applied, alpha is composited over a background.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>

#include "io/image_header.h"

namespace motionfarm::io {

struct ImageDecodeOptions {
  // Largest width * height accepted; bigger images are refused before decoding (64 MP covers
  // 8K x 8K, about 768 MiB as float RGB).
  int64_t max_pixels = kDefaultMaxImagePixels;
  // Largest file read into memory.
  int64_t max_file_bytes = int64_t{512} * 1024 * 1024;
  // Colour (RGB in [0, 1]) that transparent pixels are composited over.
  std::array<float, 3> background{1.0f, 1.0f, 1.0f};
  // Turn the pixels upright as the EXIF orientation tag says (JPEG, and PNG/WebP with EXIF).
  bool apply_exif_orientation = true;

  // Throws ConfigError when a limit is not positive or the background is outside [0, 1].
  void validate() const;
};

struct DecodedImage {
  at::Tensor pixels;         // [3, H, W] float32 in [-1, 1], upright, alpha composited
  std::string format;        // "png", "jpeg", "webp", "tiff", "bmp"
  std::string pixel_format;  // FFmpeg's name for the stored pixels, e.g. "rgb48be", "yuvj420p"
  int exif_orientation = 1;  // the orientation tag found (1 when none); applied when asked
  bool has_alpha = false;    // the stored pixels carry an alpha channel
};

// Throws InputError naming `path` and the reason (see the header comment).
DecodedImage decode_image(const std::string& path, const ImageDecodeOptions& options = {});

}  // namespace motionfarm::io
