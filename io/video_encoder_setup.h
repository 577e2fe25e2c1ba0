// Per-format encoder and muxer settings for VideoWriter: which knobs each codec takes and the
// colour tags that make players show the colours that were encoded. Internal to io/.
#pragma once

#include <string>

#include "io/av_handles.h"
#include "io/video_writer_options.h"

namespace motionfarm::io {

// The pixel format the encoder is opened with (PNG switches to rgb48be for 16-bit output).
AVPixelFormat encoder_pixel_format(const VideoWriterOptions& options);

// Fills size, time base, pixel format, colour tags and threads into `encoder`, and returns the
// encoder's private options (CRF, preset, row-mt, ProRes profile, ...) for avcodec_open2.
AvDictionary configure_encoder(AVCodecContext& encoder, const VideoWriterOptions& options);

// Muxer options for avformat_write_header (+faststart for MP4/MOV, infinite loop for WebP, ...).
AvDictionary muxer_options(const VideoWriterOptions& options);

// Title, prompt, seed, model and version as container tags.
void set_container_metadata(AVFormatContext& muxer, const VideoMetadata& metadata);

// Points the scaler at BT.709 with limited ("TV") range for YUV outputs, matching the tags set by
// configure_encoder; RGB-to-RGB conversions stay full range.
void set_conversion_colourspace(SwsContext& scaler, AVPixelFormat encoder_format);

}  // namespace motionfarm::io
