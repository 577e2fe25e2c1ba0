#include "io/image_decoder.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/check.h"
#include "io/av_handles.h"
#include "io/image_header.h"
#include "io/image_orientation.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void reject(const std::string& path, const std::string& reason) {
  throw InputError("image " + path + ": " + reason);
}

// The whole file in a packet (FFmpeg wants zeroed padding after the data, which av_new_packet
// provides).
AvPacketPtr read_file(const std::string& path, const ImageDecodeOptions& options) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) reject(path, "file not found");
  if (!fs::is_regular_file(status)) reject(path, "not a regular file");
  const uintmax_t size = fs::file_size(path, error);
  if (error) reject(path, "cannot read its size: " + error.message());
  if (size == 0) reject(path, "empty file (0 bytes)");
  if (size > static_cast<uintmax_t>(options.max_file_bytes)) {
    reject(path, "file too large (" + std::to_string(size) + " bytes, the limit is " +
                     std::to_string(options.max_file_bytes) + ")");
  }
  AvPacketPtr packet = make_packet();
  check_av<Error>(av_new_packet(packet.get(), static_cast<int>(size)), "image " + path);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(packet->data), static_cast<std::streamsize>(size));
  if (!in || in.gcount() != static_cast<std::streamsize>(size)) reject(path, "read failed");
  return packet;
}

AVCodecID codec_for(ImageContainer container) {
  switch (container) {
    case ImageContainer::Png:
      return AV_CODEC_ID_PNG;
    case ImageContainer::Jpeg:
      return AV_CODEC_ID_MJPEG;
    case ImageContainer::Webp:
      return AV_CODEC_ID_WEBP;
    case ImageContainer::Tiff:
      return AV_CODEC_ID_TIFF;
    case ImageContainer::Bmp:
      return AV_CODEC_ID_BMP;
  }
  return AV_CODEC_ID_NONE;
}

AvFramePtr decode_pixels(const AvPacketPtr& packet, const ImageHeader& header,
                         const ImageDecodeOptions& options, const std::string& path) {
  const char* format = to_string(header.container);
  const AVCodec* codec = avcodec_find_decoder(codec_for(header.container));
  if (codec == nullptr)
    reject(path, std::string("this FFmpeg build has no ") + format + " decoder");
  AvCodecContextPtr context = make_codec_context(codec);
  context->thread_count = 1;
  context->max_pixels = options.max_pixels;
  // Fail on checksum mismatches and bitstream errors instead of returning a damaged picture.
  // Not for TIFF and BMP: their decoders "explode" on harmless unknown tags (e.g. ResolutionUnit).
  context->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM;
  if (header.container != ImageContainer::Tiff && header.container != ImageContainer::Bmp) {
    context->err_recognition |= AV_EF_EXPLODE;
  }
  // A bad asset is reported once, through our InputError; FFmpeg's own lines would only repeat it
  // without the file name, so they move down to the verbose level.
  context->log_level_offset = AV_LOG_VERBOSE - AV_LOG_ERROR;
  const std::string corrupt = std::string("corrupt ") + format + " data (FFmpeg";
  int result = avcodec_open2(context.get(), codec, nullptr);
  if (result < 0)
    reject(path, corrupt + " could not open the decoder: " + av_error_text(result) + ")");
  result = avcodec_send_packet(context.get(), packet.get());
  if (result < 0) reject(path, corrupt + ": " + av_error_text(result) + ")");
  avcodec_send_packet(context.get(), nullptr);  // flush: decoders with delay return the picture now
  AvFramePtr frame = make_frame();
  result = avcodec_receive_frame(context.get(), frame.get());
  if (result == AVERROR_EOF || result == AVERROR(EAGAIN))
    reject(path, corrupt + ": no picture decoded)");
  if (result < 0) reject(path, corrupt + ": " + av_error_text(result) + ")");
  if ((frame->flags & AV_FRAME_FLAG_CORRUPT) || frame->decode_error_flags != 0) {
    reject(path, corrupt + " flagged the picture as damaged)");
  }
  return frame;
}

int orientation_of(const AVFrame& frame) {
  // FFmpeg's EXIF parser (JPEG APP1, PNG eXIf, WebP EXIF) puts the tag into the frame metadata
  // as text, e.g. "    6".
  const AVDictionaryEntry* entry = av_dict_get(frame.metadata, "Orientation", nullptr, 0);
  if (entry == nullptr) return 1;
  const int value = std::atoi(entry->value);
  return value >= 1 && value <= 8 ? value : 1;
}

// RGB, gray and palette formats -> RGBA, 16 bits per channel, read component by component with
// libavutil's generic reader (any depth, byte order, packing or palette). libswscale is not used
// for these: its generic path goes through YUV and would not return 8-bit values exactly.
std::vector<uint16_t> unpack_rgba64(const AVFrame& frame, const AVPixFmtDescriptor& descriptor) {
  const size_t width = size_t(frame.width);
  std::vector<uint16_t> rgba(width * size_t(frame.height) * 4);
  std::vector<uint16_t> line(width);
  const bool palette = descriptor.flags & AV_PIX_FMT_FLAG_PAL;
  const bool gray = !palette && !(descriptor.flags & AV_PIX_FMT_FLAG_RGB);
  const bool alpha = descriptor.flags & AV_PIX_FMT_FLAG_ALPHA;
  const auto* palette_entries = reinterpret_cast<const uint32_t*>(frame.data[1]);
  const uint8_t* planes[4] = {frame.data[0], frame.data[1], frame.data[2], frame.data[3]};
  for (int y = 0; y < frame.height; ++y) {
    uint16_t* out = rgba.data() + size_t(y) * width * 4;
    if (palette) {
      av_read_image_line2(line.data(), planes, frame.linesize, &descriptor, 0, y, 0, frame.width,
                          /*read_pal_component=*/0, /*dst_element_size=*/2);
      for (size_t x = 0; x < width; ++x) {
        const uint32_t argb = palette_entries[line[x] & 0xff];
        for (int c = 0; c < 4; ++c) {
          const int shift = c == 3 ? 24 : 16 - 8 * c;
          out[4 * x + c] = uint16_t(((argb >> shift) & 0xff) * 257);
        }
      }
      continue;
    }
    const int colour_components = gray ? 1 : 3;
    for (int c = 0; c < 4; ++c) {
      const int component = c < 3 ? (gray ? 0 : c) : colour_components;
      if (c == 3 && !alpha) {
        for (size_t x = 0; x < width; ++x) out[4 * x + 3] = 65535;
        continue;
      }
      av_read_image_line2(line.data(), planes, frame.linesize, &descriptor, 0, y, component,
                          frame.width, 0, 2);
      const uint32_t maximum = (1u << descriptor.comp[component].depth) - 1;
      for (size_t x = 0; x < width; ++x) {
        out[4 * x + c] = uint16_t((uint32_t(line[x]) * 65535u + maximum / 2) / maximum);
      }
    }
  }
  return rgba;
}

// YUV (JPEG, lossy WebP) and anything else -> RGBA64 through libswscale, with the stored matrix
// and range.
std::vector<uint16_t> convert_rgba64(const AVFrame& frame, const std::string& path) {
  const auto source_format = static_cast<AVPixelFormat>(frame.format);
  SwsContextPtr scaler(sws_getContext(
      frame.width, frame.height, source_format, frame.width, frame.height, AV_PIX_FMT_RGBA64,
      SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
  if (!scaler) {
    reject(path, std::string("unsupported pixel format ") + av_get_pix_fmt_name(source_format));
  }
  int* inverse_table = nullptr;
  int* table = nullptr;
  int source_range = 0, dest_range = 0, brightness = 0, contrast = 0, saturation = 0;
  sws_getColorspaceDetails(scaler.get(), &inverse_table, &source_range, &table, &dest_range,
                           &brightness, &contrast, &saturation);
  if (frame.color_range == AVCOL_RANGE_JPEG) source_range = 1;
  if (frame.colorspace == AVCOL_SPC_BT709 || frame.colorspace == AVCOL_SPC_BT470BG ||
      frame.colorspace == AVCOL_SPC_SMPTE170M || frame.colorspace == AVCOL_SPC_BT2020_NCL) {
    inverse_table = const_cast<int*>(sws_getCoefficients(frame.colorspace));
  }
  sws_setColorspaceDetails(scaler.get(), inverse_table, source_range, table, 1, brightness,
                           contrast, saturation);

  std::vector<uint16_t> rgba(size_t(frame.width) * size_t(frame.height) * 4);
  uint8_t* destination[4] = {reinterpret_cast<uint8_t*>(rgba.data()), nullptr, nullptr, nullptr};
  const int destination_stride[4] = {frame.width * 8, 0, 0, 0};
  sws_scale(scaler.get(), frame.data, frame.linesize, 0, frame.height, destination,
            destination_stride);
  return rgba;
}

std::vector<uint16_t> to_rgba64(const AVFrame& frame, const std::string& path) {
  const AVPixFmtDescriptor* descriptor =
      av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
  if (descriptor == nullptr) reject(path, "the decoder returned an unknown pixel format");
  const bool direct = !(descriptor->flags & (AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER |
                                             AV_PIX_FMT_FLAG_HWACCEL)) &&
                      ((descriptor->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) ||
                       descriptor->nb_components <= 2);
  return direct ? unpack_rgba64(frame, *descriptor) : convert_rgba64(frame, path);
}

// [3, H, W] in [-1, 1]: straight alpha composited as rgb * a + background * (1 - a).
at::Tensor composite(const std::vector<uint16_t>& rgba, int width, int height,
                     const std::array<float, 3>& background) {
  at::Tensor image = at::empty({3, height, width}, at::kFloat);
  float* red = image.data_ptr<float>();
  float* green = red + size_t(width) * height;
  float* blue = green + size_t(width) * height;
  const float scale = 1.0f / 65535.0f;
  for (size_t i = 0, n = size_t(width) * height; i < n; ++i) {
    const uint16_t* pixel = &rgba[4 * i];
    const float alpha = pixel[3] * scale;
    red[i] = 2.0f * (pixel[0] * scale * alpha + background[0] * (1.0f - alpha)) - 1.0f;
    green[i] = 2.0f * (pixel[1] * scale * alpha + background[1] * (1.0f - alpha)) - 1.0f;
    blue[i] = 2.0f * (pixel[2] * scale * alpha + background[2] * (1.0f - alpha)) - 1.0f;
  }
  return image;
}

}  // namespace

void ImageDecodeOptions::validate() const {
  MF_CHECK_GT(max_pixels, 0, ConfigError, "image max_pixels must be positive");
  MF_CHECK_GT(max_file_bytes, 0, ConfigError, "image max_file_bytes must be positive");
  MF_CHECK_LT(max_file_bytes, int64_t{1} << 31, ConfigError,
              "image max_file_bytes must fit in an FFmpeg packet");
  for (float channel : background) {
    MF_CHECK(channel >= 0.0f && channel <= 1.0f, ConfigError,
             "image background channels are in [0, 1], got " << channel);
  }
}

DecodedImage decode_image(const std::string& path, const ImageDecodeOptions& options) {
  options.validate();
  AvPacketPtr packet = read_file(path, options);
  const ImageHeader header = read_image_header(packet->data, size_t(packet->size), path);
  const char* format = to_string(header.container);
  if (header.width == 0 || header.height == 0) {
    reject(path, "zero-size image (" + std::to_string(header.width) + "x" +
                     std::to_string(header.height) + " in the " + format + " header)");
  }
  if (exceeds_pixel_limit(header, options.max_pixels)) {
    // No product when it overflows: PNG and TIFF sides go up to 2^32 - 1.
    int64_t pixels = 0;
    const bool overflows = __builtin_mul_overflow(header.width, header.height, &pixels);
    reject(path, "image too large (" + std::to_string(header.width) + "x" +
                     std::to_string(header.height) +
                     (overflows ? std::string() : " = " + std::to_string(pixels)) +
                     " pixels, the limit is " + std::to_string(options.max_pixels) +
                     "): scale it down");
  }
  if (!header.complete) reject(path, header.incomplete_reason);

  AvFramePtr frame = decode_pixels(packet, header, options, path);
  const auto stored_format = static_cast<AVPixelFormat>(frame->format);
  const AVPixFmtDescriptor* descriptor = av_pix_fmt_desc_get(stored_format);
  DecodedImage image;
  image.format = format;
  image.pixel_format = av_get_pix_fmt_name(stored_format);
  // Palettes count as alpha-capable (PNG tRNS, BMP/GIF palettes carry an alpha per entry).
  image.has_alpha = descriptor != nullptr && (descriptor->flags & AV_PIX_FMT_FLAG_ALPHA);
  image.exif_orientation = orientation_of(*frame);
  const std::vector<uint16_t> rgba = to_rgba64(*frame, path);
  image.pixels = composite(rgba, frame->width, frame->height, options.background);
  if (options.apply_exif_orientation) {
    image.pixels = apply_exif_orientation(image.pixels, image.exif_orientation).contiguous();
  }
  return image;
}

}  // namespace motionfarm::io
