#include "io/output_format.h"

#include "core/error.h"

namespace motionfarm::io {

const std::vector<OutputFormatInfo>& output_formats() {
  static const std::vector<OutputFormatInfo> formats = {
      {OutputFormat::H264Mp4, "mp4", "mp4", "libx264", "yuv420p", ".mp4", false,
       "H.264 MP4 with the index at the front: the deliverable that plays everywhere"},
      {OutputFormat::Vp9Webm, "webm", "webm", "libvpx-vp9", "yuv420p", ".webm", false,
       "VP9 WebM: browsers and web review tools, smaller than H.264 at equal quality"},
      {OutputFormat::Av1Webm, "av1-webm", "webm", "libsvtav1", "yuv420p", ".webm", false,
       "AV1 WebM: the smallest files, for players that decode AV1"},
      {OutputFormat::Av1Mp4, "av1-mp4", "mp4", "libsvtav1", "yuv420p", ".mp4", false,
       "AV1 MP4: the smallest files in the container most tools accept"},
      {OutputFormat::ProresMov, "prores", "mov", "prores_ks", "yuv422p10le", ".mov", false,
       "ProRes 422 HQ MOV, 10-bit 4:2:2: editing and grading (intra-only, large)"},
      {OutputFormat::PngSequence, "png", "image2", "png", "rgb24", "", true,
       "a folder of lossless PNG frames: compositing and frame-exact review"},
      {OutputFormat::WebpAnimated, "webp", "webp", "libwebp_anim", "bgra", ".webp", false,
       "animated WebP: light previews in web pages and trackers"},
      {OutputFormat::Gif, "gif", "gif", "gif", "pal8", ".gif", false,
       "GIF, 256 colours per frame: previews where nothing else plays (chat, email)"},
      {OutputFormat::NvencH264Mp4, "nvenc-h264", "mp4", "h264_nvenc", "yuv420p", ".mp4", false,
       "H.264 MP4 encoded on the GPU (NVENC): fast, needs an NVIDIA GPU"},
      {OutputFormat::NvencHevcMp4, "nvenc-hevc", "mp4", "hevc_nvenc", "yuv420p", ".mp4", false,
       "HEVC MP4 encoded on the GPU (NVENC): smaller than H.264, needs an NVIDIA GPU"},
  };
  return formats;
}

const OutputFormatInfo& output_format_info(OutputFormat format) {
  return output_formats().at(static_cast<size_t>(format));
}

OutputFormat parse_output_format(const std::string& name) {
  std::string valid;
  for (const OutputFormatInfo& info : output_formats()) {
    if (name == info.name) return info.format;
    valid += (valid.empty() ? "" : ", ") + std::string(info.name);
  }
  throw ConfigError("unknown output format \"" + name + "\"; valid formats: " + valid);
}

const char* to_string(OutputFormat format) { return output_format_info(format).name; }

}  // namespace motionfarm::io
