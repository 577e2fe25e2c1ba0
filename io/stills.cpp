#include "io/stills.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/check.h"
#include "io/av_handles.h"
#include "io/digit_font.h"
#include "io/frame_pixels.h"
#include "io/image_fit.h"
#include "io/staged_output.h"

namespace motionfarm::io {
namespace {

enum class StillFormat { Png, Jpeg };

StillFormat still_format_for(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".png") return StillFormat::Png;
  if (extension == ".jpg" || extension == ".jpeg") return StillFormat::Jpeg;
  throw ConfigError("still image " + path + ": unknown extension \"" + extension +
                    "\"; use .png, .jpg or .jpeg");
}

// One picture through libavcodec's PNG or MJPEG encoder; returns the file's bytes.
std::string encode_still(const at::Tensor& image, StillFormat format, const StillOptions& options,
                         const std::string& path) {
  const int height = int(image.size(1));
  const int width = int(image.size(2));
  const bool jpeg = format == StillFormat::Jpeg;
  const AVCodec* codec = avcodec_find_encoder(jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
  MF_CHECK(codec != nullptr, Error,
           "this FFmpeg build has no " << (jpeg ? "MJPEG" : "PNG") << " encoder");
  AvCodecContextPtr encoder = make_codec_context(codec);
  encoder->width = width;
  encoder->height = height;
  encoder->time_base = AVRational{1, 1};
  encoder->pix_fmt = jpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_RGB24;
  if (jpeg) {
    // JFIF: BT.601 full range (what yuvj420p means to libswscale and to every JPEG reader).
    encoder->color_range = AVCOL_RANGE_JPEG;
    encoder->flags |= AV_CODEC_FLAG_QSCALE;
    const int qscale = 2 + (100 - options.jpeg_quality) * 29 / 99;
    encoder->global_quality = FF_QP2LAMBDA * qscale;
  }
  check_av<Error>(avcodec_open2(encoder.get(), codec, nullptr),
                  "cannot open the encoder for " + path);

  AvFramePtr rgb = make_video_frame(AV_PIX_FMT_RGB24, width, height);
  pack_rgb24(image, rgb->data[0], rgb->linesize[0]);
  AvFramePtr picture;
  if (jpeg) {
    picture = make_video_frame(encoder->pix_fmt, width, height);
    // yuvj420p is yuv420p's layout at full range. Converting to yuv420p with the range set
    // explicitly gives the same bytes without libswscale's "deprecated pixel format" warning on
    // every still (the report makes one per finished clip).
    SwsContextPtr converter(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height,
                                           AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND,
                                           nullptr, nullptr, nullptr));
    MF_CHECK(converter != nullptr, Error, "libswscale cannot convert to JPEG's pixel format");
    const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(converter.get(), bt601, 1, bt601, 1, 0, 1 << 16, 1 << 16);
    sws_scale(converter.get(), rgb->data, rgb->linesize, 0, height, picture->data,
              picture->linesize);
  } else {
    picture = std::move(rgb);
  }
  picture->pts = 0;
  check_av<Error>(avcodec_send_frame(encoder.get(), picture.get()), "cannot encode " + path);
  check_av<Error>(avcodec_send_frame(encoder.get(), nullptr), "cannot encode " + path);
  AvPacketPtr packet = make_packet();
  std::string bytes;
  while (avcodec_receive_packet(encoder.get(), packet.get()) == 0) {
    bytes.append(reinterpret_cast<const char*>(packet->data), size_t(packet->size));
    av_packet_unref(packet.get());
  }
  MF_CHECK(!bytes.empty(), Error, "the encoder produced nothing for " << path);
  return bytes;
}

// [3, h, w] -> [3, H, W] is `sheet`'s cell at (x, y).
void paste(at::Tensor& sheet, const at::Tensor& thumbnail, int64_t x, int64_t y) {
  sheet.narrow(1, y, thumbnail.size(1)).narrow(2, x, thumbnail.size(2)).copy_(thumbnail);
}

}  // namespace

void StillOptions::validate() const {
  MF_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100, ConfigError,
           "jpeg_quality " << jpeg_quality << " is outside 1..100");
}

void write_still(const at::Tensor& image, const std::string& path, const StillOptions& options) {
  options.validate();
  const StillFormat format = still_format_for(path);
  MF_CHECK(image.dim() == 3 && image.size(0) == 3 && image.size(1) > 0 && image.size(2) > 0,
           ConfigError, "a still is an RGB image [3, H, W], got " << image.sizes());
  if (format == StillFormat::Jpeg) {
    MF_CHECK(image.size(1) % 2 == 0 && image.size(2) % 2 == 0, ConfigError,
             "JPEG stills use 4:2:0 chroma, so the size must be even; got " << image.size(2) << "x"
                                                                            << image.size(1));
  }
  const at::Tensor pixels = image.to(at::kCPU, at::kFloat).contiguous();
  const std::string bytes = encode_still(pixels, format, options, path);
  StagedOutput staging(path, /*is_folder=*/false);
  {
    std::ofstream out(staging.temporary_path(), std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    MF_CHECK(out.good(), Error, "cannot write " << staging.temporary_path());
  }
  staging.commit();
}

void ContactSheetOptions::validate() const {
  MF_CHECK(frame_count >= 1 && frame_count <= 1000, ConfigError,
           "contact sheet frame_count " << frame_count << " is outside 1..1000");
  MF_CHECK(columns >= 1 && columns <= 100, ConfigError,
           "contact sheet columns " << columns << " is outside 1..100");
  MF_CHECK(thumbnail_width >= 16 && thumbnail_width <= 4096, ConfigError,
           "contact sheet thumbnail_width " << thumbnail_width << " is outside 16..4096");
  MF_CHECK(spacing >= 0 && spacing <= 256, ConfigError,
           "contact sheet spacing " << spacing << " is outside 0..256");
  MF_CHECK(label_scale >= 1 && label_scale <= 16, ConfigError,
           "contact sheet label_scale " << label_scale << " is outside 1..16");
  for (float channel : background) {
    MF_CHECK(channel >= 0.0f && channel <= 1.0f, ConfigError,
             "contact sheet background channels are in [0, 1], got " << channel);
  }
}

std::vector<int64_t> contact_sheet_frame_indices(int64_t total_frames, int count) {
  MF_CHECK_GE(total_frames, 1, ConfigError, "a contact sheet needs at least one frame");
  MF_CHECK_GE(count, 1, ConfigError, "a contact sheet shows at least one frame");
  std::vector<int64_t> indices;
  if (total_frames <= count) {
    for (int64_t i = 0; i < total_frames; ++i) indices.push_back(i);
    return indices;
  }
  if (count == 1) return {0};
  for (int i = 0; i < count; ++i) {
    indices.push_back(std::llround(double(i) * double(total_frames - 1) / double(count - 1)));
  }
  return indices;
}

ContactSheet::ContactSheet(int64_t total_frames, int64_t frame_width, int64_t frame_height,
                           const ContactSheetOptions& options)
    : options_(options), total_frames_(total_frames) {
  options_.validate();
  MF_CHECK(
      frame_width > 0 && frame_height > 0, ConfigError,
      "contact sheet frames must have a positive size, got " << frame_width << "x" << frame_height);
  indices_ = contact_sheet_frame_indices(total_frames, options_.frame_count);
  thumbnail_height_ = std::max<int64_t>(
      1, std::llround(double(options_.thumbnail_width) * frame_height / frame_width));
  const int64_t cells = int64_t(indices_.size());
  const int64_t columns = std::min<int64_t>(options_.columns, cells);
  const int64_t rows = (cells + columns - 1) / columns;
  const int64_t width = columns * options_.thumbnail_width + (columns + 1) * options_.spacing;
  const int64_t height = rows * thumbnail_height_ + (rows + 1) * options_.spacing;
  sheet_ = at::empty({3, height, width}, at::kFloat);
  for (int64_t c = 0; c < 3; ++c) sheet_[c].fill_(2.0 * options_.background[c] - 1.0);
}

void ContactSheet::add_frames(const at::Tensor& frames) {
  MF_CHECK(frames.dim() == 4 && frames.size(1) == 3, ConfigError,
           "contact sheet frames are [N, 3, H, W], got " << frames.sizes());
  MF_CHECK_LE(next_frame_ + frames.size(0), total_frames_, ConfigError,
              "more frames than the contact sheet was told the clip has");
  const int64_t columns = std::min<int64_t>(options_.columns, int64_t(indices_.size()));
  for (int64_t i = 0; i < frames.size(0); ++i, ++next_frame_) {
    if (next_cell_ >= indices_.size() || indices_[next_cell_] != next_frame_) continue;
    at::Tensor thumbnail = resize_image(frames[i].to(at::kCPU, at::kFloat), thumbnail_height_,
                                        options_.thumbnail_width)
                               .contiguous();
    // A frame already at thumbnail size comes back as itself: stamp a copy, not the caller's.
    if (thumbnail.is_alias_of(frames)) thumbnail = thumbnail.clone();
    if (options_.frame_numbers) {
      draw_number(thumbnail, next_frame_, options_.label_scale, options_.label_scale,
                  options_.label_scale);
    }
    const int64_t cell = int64_t(next_cell_);
    const int64_t x =
        options_.spacing + (cell % columns) * (options_.thumbnail_width + options_.spacing);
    const int64_t y = options_.spacing + (cell / columns) * (thumbnail_height_ + options_.spacing);
    paste(sheet_, thumbnail, x, y);
    ++next_cell_;
  }
}

at::Tensor ContactSheet::image() const { return sheet_; }

void ContactSheet::write(const std::string& path, const StillOptions& options) const {
  MF_CHECK(complete(), Error,
           "contact sheet for " << path << " has " << next_frame_ << " of " << total_frames_
                                << " frames");
  at::Tensor pixels = sheet_;
  if (still_format_for(path) == StillFormat::Jpeg) {
    // 4:2:0 JPEG needs even sides: drop the last row/column of spacing when odd.
    pixels = pixels.narrow(1, 0, pixels.size(1) & ~int64_t{1})
                 .narrow(2, 0, pixels.size(2) & ~int64_t{1});
  }
  write_still(pixels, path, options);
}

}  // namespace motionfarm::io
