#include "io/video_encoder_setup.h"

#include "core/build_info.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace motionfarm::io {
namespace {

bool is_yuv(AVPixelFormat format) {
  const AVPixFmtDescriptor* descriptor = av_pix_fmt_desc_get(format);
  return descriptor != nullptr && !(descriptor->flags & AV_PIX_FMT_FLAG_RGB) &&
         descriptor->nb_components >= 3;
}

}  // namespace

AVPixelFormat encoder_pixel_format(const VideoWriterOptions& options) {
  if (options.format == OutputFormat::PngSequence && options.png_16bit) return AV_PIX_FMT_RGB48BE;
  return av_get_pix_fmt(output_format_info(options.format).pixel_format);
}

AvDictionary configure_encoder(AVCodecContext& encoder, const VideoWriterOptions& options) {
  encoder.width = options.width;
  encoder.height = options.height;
  encoder.pix_fmt = encoder_pixel_format(options);
  encoder.framerate = AVRational{options.frame_rate.numerator, options.frame_rate.denominator};
  encoder.time_base = av_inv_q(encoder.framerate);
  encoder.sample_aspect_ratio = AVRational{1, 1};
  encoder.thread_count = options.threads;
  if (is_yuv(encoder.pix_fmt)) {
    // HD colour (BT.709) in limited range: what the scaler produces (set_conversion_colourspace)
    // and what players assume for HD, now said explicitly in the stream.
    encoder.color_range = AVCOL_RANGE_MPEG;
    encoder.colorspace = AVCOL_SPC_BT709;
    encoder.color_primaries = AVCOL_PRI_BT709;
    encoder.color_trc = AVCOL_TRC_BT709;
  }

  AvDictionary settings;
  const std::string crf = std::to_string(options.effective_crf());
  const std::string preset = options.effective_preset();
  switch (options.format) {
    case OutputFormat::H264Mp4:
      settings.set("crf", crf);
      settings.set("preset", preset);
      break;
    case OutputFormat::Vp9Webm:
      encoder.bit_rate = 0;  // with a CRF and no bitrate libvpx runs in constant-quality mode
      settings.set("crf", crf);
      settings.set("deadline", "good");
      settings.set("cpu-used", preset);
      settings.set("row-mt", "1");
      break;
    case OutputFormat::Av1Webm:
    case OutputFormat::Av1Mp4:
      settings.set("crf", crf);
      settings.set("preset", preset);
      break;
    case OutputFormat::ProresMov:
      settings.set("profile", "hq");
      settings.set("vendor", "apl0");  // QuickTime and Resolve read this as Apple-compatible
      break;
    case OutputFormat::WebpAnimated:
      settings.set("lossless", "0");
      settings.set("quality", std::to_string(options.webp_quality));
      break;
    case OutputFormat::NvencH264Mp4:
    case OutputFormat::NvencHevcMp4:
      encoder.bit_rate = 0;
      settings.set("preset", preset);
      settings.set("rc", "vbr");
      settings.set("cq", crf);
      break;
    case OutputFormat::PngSequence:
    case OutputFormat::Gif:
      break;
  }
  return settings;
}

AvDictionary muxer_options(const VideoWriterOptions& options) {
  AvDictionary settings;
  switch (options.format) {
    case OutputFormat::H264Mp4:
    case OutputFormat::Av1Mp4:
    case OutputFormat::ProresMov:
    case OutputFormat::NvencH264Mp4:
    case OutputFormat::NvencHevcMp4:
      // faststart: the index (moov) goes before the media (mdat), so playback over HTTP starts
      // before the download ends. use_metadata_tags: keep seed/model/prompt, not only iTunes tags.
      settings.set("movflags", "+faststart+use_metadata_tags");
      break;
    case OutputFormat::PngSequence:
      settings.set("start_number", "0");  // file numbers equal frame indices
      break;
    case OutputFormat::WebpAnimated:
      settings.set("loop", "0");  // previews loop forever
      break;
    case OutputFormat::Gif:
      settings.set("loop", "0");
      break;
    case OutputFormat::Vp9Webm:
    case OutputFormat::Av1Webm:
      break;
  }
  return settings;
}

void set_container_metadata(AVFormatContext& muxer, const VideoMetadata& metadata) {
  const auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) av_dict_set(&muxer.metadata, key, value.c_str(), 0);
  };
  set("title", metadata.title);
  set("comment", metadata.prompt);
  set("prompt", metadata.prompt);
  if (metadata.seed) set("seed", std::to_string(*metadata.seed));
  set("model", metadata.model);
  set("motionfarm_version", metadata.motionfarm_version.empty() ? core::build_info().version
                                                                : metadata.motionfarm_version);
}

void set_conversion_colourspace(SwsContext& scaler, AVPixelFormat encoder_format) {
  if (!is_yuv(encoder_format)) return;
  const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
  // Source RGB is full range (range flag 1); destination YUV is limited range (0).
  sws_setColorspaceDetails(&scaler, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
}

}  // namespace motionfarm::io
