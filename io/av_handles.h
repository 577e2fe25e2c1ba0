// RAII owners for the FFmpeg handles io/ uses, and the one place where FFmpeg error codes become
// motionfarm exceptions.
//
// Every AVCodecContext, AVFrame, AVPacket, SwsContext and AVFormatContext lives in one of these
// owning types; no io/ code calls an FFmpeg free function by hand. Internal to io/: the public
// media headers (image_decoder.h, video_writer.h, stills.h) do not expose FFmpeg types.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>
#include <utility>

#include "core/error.h"

namespace motionfarm::io {

struct AvCodecContextDeleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
struct AvFrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct AvPacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};
// An output AVFormatContext together with the file its muxer writes: closes the file (when the
// muxer opened one) before freeing the context.
struct AvOutputFormatDeleter {
  void operator()(AVFormatContext* context) const;
};

using AvCodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;
using AvOutputFormatPtr = std::unique_ptr<AVFormatContext, AvOutputFormatDeleter>;

// An AVDictionary of options or tags; freed on destruction. FFmpeg calls that consume entries
// (avcodec_open2, avformat_write_header) take address() and leave the unused ones behind.
class AvDictionary {
 public:
  AvDictionary() = default;
  ~AvDictionary() { av_dict_free(&dictionary_); }
  AvDictionary(AvDictionary&& other) noexcept : dictionary_(other.dictionary_) {
    other.dictionary_ = nullptr;
  }
  AvDictionary& operator=(AvDictionary&& other) noexcept {
    std::swap(dictionary_, other.dictionary_);
    return *this;
  }
  AvDictionary(const AvDictionary&) = delete;
  AvDictionary& operator=(const AvDictionary&) = delete;

  void set(const std::string& key, const std::string& value);
  AVDictionary** address() { return &dictionary_; }
  // "key, key": the entries left after an FFmpeg call took the ones it knows.
  std::string keys() const;

 private:
  AVDictionary* dictionary_ = nullptr;
};

// Allocators that throw motionfarm::Error instead of returning nullptr.
AvCodecContextPtr make_codec_context(const AVCodec* codec);
AvFramePtr make_frame();
AvPacketPtr make_packet();
// A frame with its pixel buffers allocated for `format` at width x height.
AvFramePtr make_video_frame(AVPixelFormat format, int width, int height);

// FFmpeg's text for an error code (av_strerror), e.g. "Invalid data found when processing input".
std::string av_error_text(int av_error);

// Throws DiskFullError("<context>: the disk is full ...") when `av_result` is an out-of-space
// error (core/disk_full.h).
void throw_if_disk_full(int av_result, const std::string& context);

// Throws ErrorType("<context>: <FFmpeg's text>") when `av_result` is negative (DiskFullError when
// it says the disk is full, whatever ErrorType); returns it otherwise.
template <class ErrorType>
int check_av(int av_result, const std::string& context) {
  if (av_result < 0) {
    throw_if_disk_full(av_result, context);
    throw ErrorType(context + ": " + av_error_text(av_result));
  }
  return av_result;
}

}  // namespace motionfarm::io
