#include "io/video_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/check.h"
#include "io/av_handles.h"

extern "C" {
#include <libavutil/log.h>
}

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxSide = 16384;

// An input AVFormatContext: avformat_close_input closes its file and frees it.
struct AvInputFormatDeleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
using AvInputFormatPtr = std::unique_ptr<AVFormatContext, AvInputFormatDeleter>;

[[noreturn]] void reject(const std::string& path, const std::string& reason) {
  throw InputError("clip " + path + ": " + reason);
}

AvInputFormatPtr open_input(const std::string& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) reject(path, "file not found");
  AVFormatContext* raw = nullptr;
  const int opened = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (opened < 0) reject(path, "cannot open it (" + av_error_text(opened) + ")");
  AvInputFormatPtr input(raw);
  const int probed = avformat_find_stream_info(input.get(), nullptr);
  if (probed < 0) reject(path, "cannot read its streams (" + av_error_text(probed) + ")");
  return input;
}

int video_stream_of(AVFormatContext& input, const std::string& path) {
  const int stream = av_find_best_stream(&input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream < 0) reject(path, "holds no video stream");
  return stream;
}

// The container's frame count when it records one (MP4, MOV); otherwise (WebM, GIF) the video
// packets counted in a second pass over the file, which demuxes without decoding.
int64_t frame_count(AVFormatContext& input, int stream, const std::string& path) {
  if (input.streams[stream]->nb_frames > 0) return input.streams[stream]->nb_frames;
  AvInputFormatPtr counting = open_input(path);
  AvPacketPtr packet = make_packet();
  int64_t count = 0;
  while (av_read_frame(counting.get(), packet.get()) >= 0) {
    if (packet->stream_index == stream) ++count;
    av_packet_unref(packet.get());
  }
  return count;
}

int64_t even(double value) { return std::max<int64_t>(2, std::llround(value / 2.0) * 2); }

}  // namespace

void VideoReaderOptions::validate() const {
  MF_CHECK(width >= 0 && width <= kMaxSide, ConfigError,
           "video reader width " << width << " is outside 0.." << kMaxSide);
  MF_CHECK(height >= 0 && height <= kMaxSide, ConfigError,
           "video reader height " << height << " is outside 0.." << kMaxSide);
}

struct VideoReader::State {
  std::string path;
  AvInputFormatPtr input;
  int stream = -1;
  AvCodecContextPtr decoder;
  AvPacketPtr packet = make_packet();
  AvFramePtr frame = make_frame();
  SwsContextPtr scaler;
  std::vector<uint8_t> rgb;  // one converted frame, packed RGB24
  VideoInfo info;
  bool demuxed = false;  // every packet sent, and the decoder told to drain
  bool drained = false;  // the decoder returned its last frame

  // The next decoded frame in `frame`; false at the end of the clip.
  bool next_frame() {
    while (!drained) {
      const int received = avcodec_receive_frame(decoder.get(), frame.get());
      if (received == 0) return true;
      if (received == AVERROR_EOF) {
        drained = true;
        break;
      }
      if (received != AVERROR(EAGAIN))
        reject(path, "corrupt video data (" + av_error_text(received) + ")");
      if (demuxed) {
        drained = true;  // a decoder that neither returns frames nor EOF after draining
        break;
      }
      const int read = av_read_frame(input.get(), packet.get());
      if (read < 0) {
        demuxed = true;
        avcodec_send_packet(decoder.get(), nullptr);
        continue;
      }
      if (packet->stream_index == stream) {
        const int sent = avcodec_send_packet(decoder.get(), packet.get());
        av_packet_unref(packet.get());
        if (sent < 0 && sent != AVERROR(EAGAIN))
          reject(path, "corrupt video data (" + av_error_text(sent) + ")");
      } else {
        av_packet_unref(packet.get());
      }
    }
    return false;
  }

  // `frame` as packed RGB24 at the output size into `rgb`. The scaler follows the frame's own
  // colour matrix and range (the farm writes BT.709 limited range).
  void convert() {
    const auto source_format = static_cast<AVPixelFormat>(frame->format);
    const int out_width = static_cast<int>(info.width);
    const int out_height = static_cast<int>(info.height);
    // Area averaging when shrinking (thumbnails: no aliasing, and cheaper), bicubic otherwise.
    // Full chroma interpolation with accurate rounding brings a flat orange (255, 128, 0) back
    // exactly; the ffmpeg CLI's default scaler gives (254, 126, 0) and is 2-4 dB further from
    // the frames that were encoded (tests/unit/io/video_reader_test.cpp).
    const int filter = out_width < frame->width ? SWS_AREA : SWS_BICUBIC;
    scaler.reset(sws_getCachedContext(scaler.release(), frame->width, frame->height, source_format,
                                      out_width, out_height, AV_PIX_FMT_RGB24,
                                      filter | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                      nullptr, nullptr));
    MF_CHECK(scaler != nullptr, Error, "libswscale cannot convert " << path << "'s frames to RGB");
    const bool bt709 = frame->colorspace == AVCOL_SPC_BT709;
    const int* matrix = sws_getCoefficients(bt709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT);
    const int full_range = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    sws_setColorspaceDetails(scaler.get(), matrix, full_range, matrix, 1, 0, 1 << 16, 1 << 16);
    rgb.resize(static_cast<size_t>(out_width) * out_height * 3);
    uint8_t* planes[4] = {rgb.data(), nullptr, nullptr, nullptr};
    int strides[4] = {out_width * 3, 0, 0, 0};
    sws_scale(scaler.get(), frame->data, frame->linesize, 0, frame->height, planes, strides);
  }
};

VideoReader::VideoReader(const std::string& path, const VideoReaderOptions& options)
    : state_(std::make_unique<State>()) {
  options.validate();
  State& s = *state_;
  s.path = path;
  s.input = open_input(path);
  s.stream = video_stream_of(*s.input, path);
  const AVStream& stream = *s.input->streams[s.stream];
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (codec == nullptr) reject(path, "this FFmpeg build has no decoder for its video");
  s.decoder = make_codec_context(codec);
  check_av<InputError>(avcodec_parameters_to_context(s.decoder.get(), stream.codecpar),
                       "clip " + path);
  s.decoder->thread_count = 1;
  s.decoder->log_level_offset = AV_LOG_VERBOSE - AV_LOG_ERROR;
  check_av<InputError>(avcodec_open2(s.decoder.get(), codec, nullptr),
                       "clip " + path + ": cannot open the " + codec->name + " decoder");
  const int64_t width = stream.codecpar->width;
  const int64_t height = stream.codecpar->height;
  if (width <= 0 || height <= 0) reject(path, "its video has no frame size");

  VideoInfo& info = s.info;
  info.codec = codec->name;
  info.frames = frame_count(*s.input, s.stream, path);
  const AVRational rate = av_guess_frame_rate(s.input.get(), s.input->streams[s.stream], nullptr);
  info.fps = rate.den > 0 ? av_q2d(rate) : 0.0;
  const bool keep_size = options.shrink_only && (options.width == 0 || options.width >= width) &&
                         (options.height == 0 || options.height >= height);
  if (keep_size) {
    info.width = width;
    info.height = height;
  } else if (options.width > 0 && options.height > 0) {
    info.width = options.width;
    info.height = options.height;
  } else if (options.width > 0) {
    info.width = options.width;
    info.height = even(double(options.width) * double(height) / double(width));
  } else if (options.height > 0) {
    info.height = options.height;
    info.width = even(double(options.height) * double(width) / double(height));
  } else {
    info.width = width;
    info.height = height;
  }
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const { return state_->info; }

int64_t VideoReader::skip_frames(int64_t count) {
  State& s = *state_;
  int64_t skipped = 0;
  while (skipped < count && s.next_frame()) {
    av_frame_unref(s.frame.get());
    ++skipped;
  }
  return skipped;
}

at::Tensor VideoReader::read_frames(int64_t max_frames) {
  MF_CHECK_GE(max_frames, 1, ConfigError, "read_frames reads at least one frame");
  State& s = *state_;
  const int64_t frame_bytes = s.info.width * s.info.height * 3;
  std::vector<uint8_t> packed;
  int64_t count = 0;
  while (count < max_frames && s.next_frame()) {
    s.convert();
    av_frame_unref(s.frame.get());
    packed.insert(packed.end(), s.rgb.begin(), s.rgb.end());
    ++count;
  }
  at::Tensor bytes = at::empty({count, s.info.height, s.info.width, 3}, at::kByte);
  if (count > 0) std::memcpy(bytes.data_ptr<uint8_t>(), packed.data(), size_t(count * frame_bytes));
  // [N, H, W, 3] bytes -> [N, 3, H, W] float in [-1, 1]
  return bytes.permute({0, 3, 1, 2}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
}

}  // namespace motionfarm::io
