#include "io/av_handles.h"

#include "core/disk_full.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/error.h>
}

namespace motionfarm::io {

void AvOutputFormatDeleter::operator()(AVFormatContext* context) const {
  if (context == nullptr) return;
  if (context->oformat != nullptr && !(context->oformat->flags & AVFMT_NOFILE)) {
    avio_closep(&context->pb);
  }
  avformat_free_context(context);
}

AvCodecContextPtr make_codec_context(const AVCodec* codec) {
  AvCodecContextPtr context(avcodec_alloc_context3(codec));
  if (!context) throw Error("FFmpeg: out of memory allocating a codec context");
  return context;
}

AvFramePtr make_frame() {
  AvFramePtr frame(av_frame_alloc());
  if (!frame) throw Error("FFmpeg: out of memory allocating a frame");
  return frame;
}

AvPacketPtr make_packet() {
  AvPacketPtr packet(av_packet_alloc());
  if (!packet) throw Error("FFmpeg: out of memory allocating a packet");
  return packet;
}

AvFramePtr make_video_frame(AVPixelFormat format, int width, int height) {
  AvFramePtr frame = make_frame();
  frame->format = format;
  frame->width = width;
  frame->height = height;
  check_av<Error>(av_frame_get_buffer(frame.get(), 0), "FFmpeg: cannot allocate a " +
                                                           std::to_string(width) + "x" +
                                                           std::to_string(height) + " frame");
  return frame;
}

void AvDictionary::set(const std::string& key, const std::string& value) {
  check_av<Error>(av_dict_set(&dictionary_, key.c_str(), value.c_str(), 0),
                  "FFmpeg: cannot set option " + key);
}

std::string AvDictionary::keys() const {
  std::string keys;
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(dictionary_, "", entry, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    keys += (keys.empty() ? "" : ", ") + std::string(entry->key);
  }
  return keys;
}

void throw_if_disk_full(int av_result, const std::string& context) {
  // FFmpeg's errors are negated errno values on POSIX (AVERROR(e) == -e).
  if (av_result < 0 && core::is_out_of_space(AVUNERROR(av_result))) {
    throw DiskFullError(context + ": " + core::disk_full_text(AVUNERROR(av_result)));
  }
}

std::string av_error_text(int av_error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(av_error, text, sizeof(text)) < 0) {
    return "FFmpeg error " + std::to_string(av_error);
  }
  return text;
}

}  // namespace motionfarm::io
