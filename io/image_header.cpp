#include "io/image_header.h"

#include <cstring>

#include "core/error.h"

namespace motionfarm::io {
namespace {

// Bounds-checked little/big-endian reads over the whole file; every accessor throws the
// "truncated" InputError rather than read past the end.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, const std::string& path, const char* format)
      : data_(data), size_(size), path_(path), format_(format) {}

  size_t size() const { return size_; }
  bool has(size_t offset, size_t count) const { return offset <= size_ && count <= size_ - offset; }

  uint32_t be(size_t offset, int bytes) const {
    require(offset, bytes);
    uint32_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | data_[offset + i];
    return value;
  }
  uint32_t le(size_t offset, int bytes) const {
    require(offset, bytes);
    uint32_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | data_[offset + i];
    return value;
  }
  bool matches(size_t offset, const char* text) const {
    const size_t length = std::strlen(text);
    return has(offset, length) && std::memcmp(data_ + offset, text, length) == 0;
  }
  uint8_t at(size_t offset) const {
    require(offset, 1);
    return data_[offset];
  }
  const uint8_t* data() const { return data_; }

  [[noreturn]] void fail(const std::string& reason) const {
    throw InputError("image " + path_ + ": " + reason);
  }
  void require(size_t offset, size_t count) const {
    if (!has(offset, count)) {
      fail(std::string("truncated ") + format_ + " header (the file is " + std::to_string(size_) +
           " bytes, the header needs more)");
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  const std::string& path_;
  const char* format_;
};

void mark_incomplete(ImageHeader& header, const std::string& reason) {
  header.complete = false;
  header.incomplete_reason = reason;
}

// PNG: IHDR holds the size; walking the chunk list finds a file cut before IEND.
ImageHeader read_png(const ByteReader& in) {
  ImageHeader header;
  header.container = ImageContainer::Png;
  if (!in.matches(12, "IHDR")) in.fail("corrupt PNG: the first chunk is not IHDR");
  header.width = in.be(16, 4);
  header.height = in.be(20, 4);
  size_t offset = 8;
  while (true) {
    if (!in.has(offset, 8)) {
      mark_incomplete(header, "truncated PNG: the file ends before the IEND chunk");
      break;
    }
    const uint32_t length = in.be(offset, 4);
    if (length > 0x7fffffffu)
      in.fail("corrupt PNG: chunk length over 2^31 at byte " + std::to_string(offset));
    const bool is_end = in.matches(offset + 4, "IEND");
    if (!in.has(offset, size_t{12} + length)) {
      mark_incomplete(header, "truncated PNG: a chunk runs past the end of the file");
      break;
    }
    if (is_end) break;
    offset += size_t{12} + length;
  }
  return header;
}

bool is_jpeg_frame_marker(uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// JPEG: the size is in the SOF segment; entropy-coded data never contains FF D9 (a data 0xFF is
// stuffed as FF 00), so a file without FF D9 after the first scan was cut short.
ImageHeader read_jpeg(const ByteReader& in) {
  ImageHeader header;
  header.container = ImageContainer::Jpeg;
  bool have_size = false;
  size_t offset = 2;
  while (true) {
    if (in.at(offset) != 0xFF)
      in.fail("corrupt JPEG: expected a marker at byte " + std::to_string(offset));
    while (in.at(offset) == 0xFF) ++offset;  // fill bytes
    const uint8_t marker = in.at(offset++);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length field
    if (marker == 0xD9) in.fail("corrupt JPEG: end-of-image marker before any scan");
    const uint32_t length = in.be(offset, 2);
    if (length < 2)
      in.fail("corrupt JPEG: segment length below 2 at byte " + std::to_string(offset));
    in.require(offset, length);
    if (is_jpeg_frame_marker(marker)) {
      header.height = in.be(offset + 3, 2);
      header.width = in.be(offset + 5, 2);
      have_size = true;
    }
    offset += length;
    if (marker == 0xDA) break;  // start of scan: entropy-coded data follows
  }
  if (!have_size) in.fail("corrupt JPEG: no frame header (SOF) before the first scan");
  bool found_end = false;
  for (size_t i = offset; i + 1 < in.size(); ++i) {
    if (in.data()[i] == 0xFF && in.data()[i + 1] == 0xD9) {
      found_end = true;
      break;
    }
  }
  if (!found_end) mark_incomplete(header, "truncated JPEG: no end-of-image marker (FF D9)");
  return header;
}

// WebP: RIFF size announces the file length; the first chunk is VP8 (lossy), VP8L (lossless) or
// VP8X (extended: alpha, metadata, animation).
ImageHeader read_webp(const ByteReader& in) {
  ImageHeader header;
  header.container = ImageContainer::Webp;
  const uint64_t riff_size = in.le(4, 4);
  if (in.size() < riff_size + 8) {
    mark_incomplete(header, "truncated WebP: the RIFF header announces " +
                                std::to_string(riff_size + 8) + " bytes, the file has " +
                                std::to_string(in.size()));
  }
  if (in.matches(12, "VP8 ")) {
    if (in.be(23, 3) != 0x9d012a) in.fail("corrupt WebP: missing VP8 start code");
    header.width = in.le(26, 2) & 0x3fff;
    header.height = in.le(28, 2) & 0x3fff;
  } else if (in.matches(12, "VP8L")) {
    if (in.at(20) != 0x2f) in.fail("corrupt WebP: missing VP8L signature");
    const uint32_t bits = in.le(21, 4);
    header.width = (bits & 0x3fff) + 1;
    header.height = ((bits >> 14) & 0x3fff) + 1;
  } else if (in.matches(12, "VP8X")) {
    if (in.at(20) & 0x02) {
      in.fail("animated WebP is not supported as an input image; export one frame as PNG");
    }
    header.width = int64_t{in.le(24, 3)} + 1;
    header.height = int64_t{in.le(27, 3)} + 1;
  } else {
    in.fail("corrupt WebP: the first chunk is none of VP8, VP8L, VP8X");
  }
  return header;
}

// BMP: BITMAPCOREHEADER (12 bytes) has 16-bit sizes, later headers signed 32-bit ones (a negative
// height means top-down rows). Uncompressed bitmaps must hold stride * rows bytes of pixels.
ImageHeader read_bmp(const ByteReader& in) {
  ImageHeader header;
  header.container = ImageContainer::Bmp;
  const uint32_t pixel_offset = in.le(10, 4);
  const uint32_t info_size = in.le(14, 4);
  uint32_t bits_per_pixel = 0;
  uint32_t compression = 0;
  if (info_size == 12) {
    header.width = in.le(18, 2);
    header.height = in.le(20, 2);
    bits_per_pixel = in.le(24, 2);
  } else if (info_size >= 40) {
    header.width = static_cast<int32_t>(in.le(18, 4));
    header.height = static_cast<int32_t>(in.le(22, 4));
    if (header.height < 0) header.height = -header.height;
    bits_per_pixel = in.le(28, 2);
    compression = in.le(30, 4);
  } else {
    in.fail("corrupt BMP: unknown info header size " + std::to_string(info_size));
  }
  if (header.width < 0) in.fail("corrupt BMP: negative width");
  const bool uncompressed = compression == 0 || compression == 3;  // BI_RGB, BI_BITFIELDS
  if (uncompressed && bits_per_pixel > 0 && header.width > 0) {
    const uint64_t stride = (uint64_t(header.width) * bits_per_pixel + 31) / 32 * 4;
    const uint64_t needed = uint64_t{pixel_offset} + stride * uint64_t(header.height);
    if (in.size() < needed) {
      mark_incomplete(header, "truncated BMP: the pixel data needs " + std::to_string(needed) +
                                  " bytes, the file has " + std::to_string(in.size()));
    }
  }
  return header;
}

// TIFF: the first IFD holds ImageWidth (256) and ImageLength (257), SHORT or LONG.
ImageHeader read_tiff(const ByteReader& in) {
  ImageHeader header;
  header.container = ImageContainer::Tiff;
  const bool little = in.matches(0, "II");
  auto read = [&](size_t offset, int bytes) {
    return little ? in.le(offset, bytes) : in.be(offset, bytes);
  };
  const uint32_t ifd = read(4, 4);
  const uint32_t entries = read(ifd, 2);
  bool have_width = false;
  bool have_height = false;
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t entry = size_t{ifd} + 2 + size_t{12} * i;
    const uint32_t tag = read(entry, 2);
    const uint32_t type = read(entry + 2, 2);
    if (tag != 256 && tag != 257) continue;
    uint32_t value = 0;
    if (type == 3) {
      value = read(entry + 8, 2);
    } else if (type == 4) {
      value = read(entry + 8, 4);
    } else {
      in.fail("corrupt TIFF: image size tag of type " + std::to_string(type));
    }
    (tag == 256 ? header.width : header.height) = value;
    (tag == 256 ? have_width : have_height) = true;
  }
  if (!have_width || !have_height)
    in.fail("corrupt TIFF: no ImageWidth/ImageLength in the first IFD");
  return header;
}

}  // namespace

const char* to_string(ImageContainer container) {
  switch (container) {
    case ImageContainer::Png:
      return "png";
    case ImageContainer::Jpeg:
      return "jpeg";
    case ImageContainer::Webp:
      return "webp";
    case ImageContainer::Tiff:
      return "tiff";
    case ImageContainer::Bmp:
      return "bmp";
  }
  return "unknown";
}

bool exceeds_pixel_limit(const ImageHeader& header, int64_t max_pixels) {
  int64_t pixels = 0;
  return __builtin_mul_overflow(header.width, header.height, &pixels) || pixels > max_pixels;
}

ImageHeader read_image_header(const uint8_t* data, size_t size, const std::string& path) {
  const ByteReader probe(data, size, path, "image");
  if (probe.matches(0, "\x89PNG\r\n\x1a\n")) return read_png(ByteReader(data, size, path, "PNG"));
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    return read_jpeg(ByteReader(data, size, path, "JPEG"));
  }
  if (probe.matches(0, "RIFF") && probe.matches(8, "WEBP")) {
    return read_webp(ByteReader(data, size, path, "WebP"));
  }
  const bool tiff_little =
      size >= 4 && data[0] == 'I' && data[1] == 'I' && data[2] == 42 && data[3] == 0;
  const bool tiff_big =
      size >= 4 && data[0] == 'M' && data[1] == 'M' && data[2] == 0 && data[3] == 42;
  if (tiff_little || tiff_big) return read_tiff(ByteReader(data, size, path, "TIFF"));
  if (probe.matches(0, "BM")) return read_bmp(ByteReader(data, size, path, "BMP"));
  probe.fail(
      "not a supported image format (expected PNG, JPEG, WebP, TIFF or BMP; the first bytes "
      "match none of them)");
}

}  // namespace motionfarm::io
