// Reads an image file's container header, without decoding any pixels.
//
// The decoder calls this first so that a file that is not an image, a zero-size image, one over
// the pixel limit, or one cut short is rejected before FFmpeg allocates or decodes anything.
// Every read is bounds-checked against the buffer: the input is untrusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace motionfarm::io {

enum class ImageContainer { Png, Jpeg, Webp, Tiff, Bmp };

// "png", "jpeg", "webp", "tiff", "bmp".
const char* to_string(ImageContainer container);

struct ImageHeader {
  ImageContainer container = ImageContainer::Png;
  int64_t width = 0;
  int64_t height = 0;
  // False when the file ends before the data its header announces; `incomplete_reason` says how.
  bool complete = true;
  std::string incomplete_reason;
};

// The largest width * height the decoder accepts by default (ImageDecodeOptions::max_pixels):
// 64 MP covers 8K x 8K, about 768 MiB as float RGB.
inline constexpr int64_t kDefaultMaxImagePixels = int64_t{64} * 1024 * 1024;

// True when the header's width * height is over `max_pixels`. Computed without overflow: PNG and
// TIFF headers can claim 2^32 - 1 on each side, whose product does not fit in int64.
bool exceeds_pixel_limit(const ImageHeader& header, int64_t max_pixels);

// Identifies the format from its magic bytes and reads the dimensions. Throws InputError naming
// `path` when the bytes are no supported format ("not a supported image format"), when the header
// itself is cut short ("truncated") or inconsistent ("corrupt"), and for animated WebP.
ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& path);

}  // namespace motionfarm::io
