// The deliverable kinds VideoWriter produces, and what each is made of.
//
// One table (output_format.cpp) says, per kind, which muxer, encoder and pixel format are used and
// what the output is for; docs/media.md is written from it.
#pragma once

#include <string>
#include <vector>

namespace motionfarm::io {

enum class OutputFormat {
  H264Mp4,       // "mp4":        libx264 yuv420p in MP4, +faststart; plays everywhere
  Vp9Webm,       // "webm":       libvpx-vp9 yuv420p in WebM; browsers, smaller than H.264
  Av1Webm,       // "av1-webm":   libsvtav1 yuv420p in WebM; smallest, newer players
  Av1Mp4,        // "av1-mp4":    libsvtav1 yuv420p in MP4
  ProresMov,     // "prores":     prores_ks 422 HQ yuv422p10le in MOV; editing / grading
  PngSequence,   // "png":        one lossless PNG per frame in a folder; compositing
  WebpAnimated,  // "webp":       animated WebP (libwebp_anim); web previews
  Gif,           // "gif":        GIF with a per-frame 256-colour palette; chat previews
  NvencH264Mp4,  // "nvenc-h264": h264_nvenc yuv420p in MP4; GPU encode
  NvencHevcMp4,  // "nvenc-hevc": hevc_nvenc yuv420p in MP4; GPU encode
};

struct OutputFormatInfo {
  OutputFormat format;
  const char* name;          // what parse_output_format accepts
  const char* muxer;         // libavformat muxer
  const char* encoder;       // libavcodec encoder
  const char* pixel_format;  // what the encoder is fed
  const char* extension;     // of the output file; "" for the PNG folder
  bool is_folder;            // the output is a folder of files, not one file
  const char* purpose;       // one line for docs and --help
};

// Every kind, in the order of the enum.
const std::vector<OutputFormatInfo>& output_formats();
const OutputFormatInfo& output_format_info(OutputFormat format);
// "mp4", "webm", "av1-webm", "av1-mp4", "prores", "png", "webp", "gif", "nvenc-h264",
// "nvenc-hevc"; throws ConfigError naming the valid ones otherwise.
OutputFormat parse_output_format(const std::string& name);
const char* to_string(OutputFormat format);

}  // namespace motionfarm::io
