#include "io/video_writer.h"

#include <cstring>

#include "core/check.h"
#include "io/av_handles.h"
#include "io/frame_pixels.h"
#include "io/gif_palette.h"
#include "io/staged_output.h"
#include "io/video_encoder_setup.h"

extern "C" {
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

namespace motionfarm::io {

namespace {

bool is_nvenc(OutputFormat format) {
  return format == OutputFormat::NvencH264Mp4 || format == OutputFormat::NvencHevcMp4;
}

}  // namespace

// Members are destroyed in reverse order: the muxer (which closes the temporary file) goes
// before `staging`, which then removes the temporary of an unfinished writer.
struct VideoWriter::State {
  std::string path;
  VideoWriterOptions options;
  OutputPolicy policy;
  std::unique_ptr<StagedOutput> staging;
  AvOutputFormatPtr muxer;
  AvCodecContextPtr encoder;
  AVStream* stream = nullptr;  // owned by `muxer`
  SwsContextPtr converter;   // packed RGB -> encoder format; null when they are the same (PNG, GIF)
  AvFramePtr rgb;            // packed rgb24 / rgb48 of the current frame
  AvFramePtr encoder_frame;  // what the encoder is sent
  AvPacketPtr packet;
  int64_t frames_written = 0;
  bool finished = false;
  bool failed = false;

  const std::string& temporary_path() const { return staging->temporary_path(); }
  std::string describe() const {
    return std::string(output_format_info(options.format).encoder) + " writing " + path;
  }
  void open();
  void encode(const AVFrame* frame);
  void convert(const at::Tensor& frame);
};

void VideoWriter::State::open() {
  const OutputFormatInfo& info = output_format_info(options.format);
  const AVCodec* codec = avcodec_find_encoder_by_name(info.encoder);
  if (codec == nullptr) {
    throw ConfigError(std::string("this FFmpeg build has no ") + info.encoder +
                      " encoder, which output format " + info.name + " needs");
  }
  staging = std::make_unique<StagedOutput>(path, info.is_folder, policy);
  const std::string url =
      info.is_folder ? staging->temporary_path() + "/frame_%05d.png" : staging->temporary_path();

  AVFormatContext* raw_muxer = nullptr;
  check_av<Error>(avformat_alloc_output_context2(&raw_muxer, nullptr, info.muxer, url.c_str()),
                  "cannot create the " + std::string(info.muxer) + " muxer for " + path);
  muxer.reset(raw_muxer);

  // x264's per-clip statistics are noise in a farm's logs: the encoder's info lines move to the
  // verbose level; its warnings and errors still show.
  encoder = make_codec_context(codec);
  encoder->log_level_offset = AV_LOG_VERBOSE - AV_LOG_INFO;
  AvDictionary settings = configure_encoder(*encoder, options);
  if (muxer->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  const int opened = avcodec_open2(encoder.get(), codec, settings.address());
  if (opened < 0 && is_nvenc(options.format)) {
    throw ConfigError(std::string("output format ") + info.name + " needs NVENC (" + info.encoder +
                      "), which could not start: " + av_error_text(opened) +
                      ". NVENC needs an NVIDIA GPU and driver visible to this process; on "
                      "CPU-only nodes use mp4 (libx264) instead");
  }
  check_av<Error>(opened, "cannot open the " + describe());
  MF_CHECK(settings.keys().empty(), Error,
           info.encoder << " did not accept the options " << settings.keys());

  stream = avformat_new_stream(muxer.get(), nullptr);
  MF_CHECK(stream != nullptr, Error, "FFmpeg: cannot add a stream to " << path);
  check_av<Error>(avcodec_parameters_from_context(stream->codecpar, encoder.get()),
                  "cannot describe the stream of " + path);
  stream->time_base = encoder->time_base;
  stream->avg_frame_rate = encoder->framerate;
  stream->r_frame_rate = encoder->framerate;
  set_container_metadata(*muxer, options.metadata);

  if (!(muxer->oformat->flags & AVFMT_NOFILE)) {
    check_av<Error>(avio_open(&muxer->pb, url.c_str(), AVIO_FLAG_WRITE), "cannot create " + url);
  }
  AvDictionary header_settings = muxer_options(options);
  check_av<Error>(avformat_write_header(muxer.get(), header_settings.address()),
                  "cannot write the header of " + path);

  const AVPixelFormat packed = options.png_16bit || options.format == OutputFormat::ProresMov
                                   ? AV_PIX_FMT_RGB48
                                   : AV_PIX_FMT_RGB24;
  rgb = make_video_frame(packed, options.width, options.height);
  encoder_frame = make_video_frame(encoder->pix_fmt, options.width, options.height);
  // Some encoders (prores_ks, libsvtav1) take the colour description from each frame.
  encoder_frame->color_range = encoder->color_range;
  encoder_frame->colorspace = encoder->colorspace;
  encoder_frame->color_primaries = encoder->color_primaries;
  encoder_frame->color_trc = encoder->color_trc;
  if (encoder->pix_fmt != packed && options.format != OutputFormat::Gif) {
    // Same size, so the filter only matters for chroma: accurate rounding and full-chroma input
    // keep gradients free of banding and colour fringes.
    converter.reset(sws_getContext(
        options.width, options.height, packed, options.width, options.height, encoder->pix_fmt,
        SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
    MF_CHECK(converter != nullptr, Error,
             "libswscale cannot convert to " << av_get_pix_fmt_name(encoder->pix_fmt));
    set_conversion_colourspace(*converter, encoder->pix_fmt);
  }
  packet = make_packet();
}

// Sends one frame (nullptr: end of stream) and writes every packet the encoder has ready.
void VideoWriter::State::encode(const AVFrame* frame) {
  check_av<Error>(avcodec_send_frame(encoder.get(), frame), "encoding failed in " + describe());
  while (true) {
    const int received = avcodec_receive_packet(encoder.get(), packet.get());
    if (received == AVERROR(EAGAIN) || received == AVERROR_EOF) return;
    check_av<Error>(received, "encoding failed in " + describe());
    av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
    packet->stream_index = stream->index;
    check_av<Error>(av_interleaved_write_frame(muxer.get(), packet.get()),
                    "cannot write " + path + " (its temporary " + staging->temporary_path() + ")");
  }
}

// frame [3, H, W] float32 -> encoder_frame in the encoder's pixel format.
void VideoWriter::State::convert(const at::Tensor& frame) {
  // The encoder may still hold the previous frame's buffers (GIF keeps it to diff against).
  check_av<Error>(av_frame_make_writable(encoder_frame.get()), "FFmpeg: frame buffer");
  AVFrame* packed_target = converter ? rgb.get() : encoder_frame.get();
  if (options.format == OutputFormat::Gif) packed_target = rgb.get();
  if (packed_target->format == AV_PIX_FMT_RGB24) {
    pack_rgb24(frame, packed_target->data[0], packed_target->linesize[0]);
  } else {
    pack_rgb48(frame, packed_target->data[0], packed_target->linesize[0]);
  }
  if (options.format == OutputFormat::Gif) {
    const PalettedImage paletted =
        quantize_to_palette(rgb->data[0], options.width, options.height, rgb->linesize[0]);
    for (int y = 0; y < options.height; ++y) {
      std::memcpy(encoder_frame->data[0] + size_t(y) * encoder_frame->linesize[0],
                  paletted.indices.data() + size_t(y) * options.width, size_t(options.width));
    }
    std::memcpy(encoder_frame->data[1], paletted.palette.data(), AVPALETTE_SIZE);
  } else if (converter) {
    sws_scale(converter.get(), rgb->data, rgb->linesize, 0, options.height, encoder_frame->data,
              encoder_frame->linesize);
  }
}

VideoWriter::VideoWriter(const std::string& path, const VideoWriterOptions& options,
                         const OutputPolicy& policy)
    : state_(std::make_unique<State>()) {
  options.validate();
  state_->path = path;
  state_->options = options;
  state_->policy = policy;
  state_->open();
}

VideoWriter::~VideoWriter() = default;

void VideoWriter::write_frames(const at::Tensor& frames) {
  State& state = *state_;
  MF_CHECK(!state.finished, Error, "write_frames after finish() on " << state.path);
  MF_CHECK(!state.failed, Error, "the writer of " << state.path << " failed earlier");
  const at::Tensor cpu_frames =
      frames_for_encoding(frames, state.options.width, state.options.height);  // [N, 3, H, W]
  state.failed = true;  // until this call completes
  for (int64_t i = 0; i < cpu_frames.size(0); ++i) {
    state.convert(cpu_frames[i]);
    state.encoder_frame->pts = state.frames_written;
    state.encode(state.encoder_frame.get());
    ++state.frames_written;
  }
  state.failed = false;
}

void VideoWriter::finish() {
  State& state = *state_;
  if (state.finished) return;
  MF_CHECK(!state.failed, Error, "the writer of " << state.path << " failed earlier");
  MF_CHECK_GT(state.frames_written, 0, Error, "finish() with no frames written to " << state.path);
  state.failed = true;
  // The MP4/MOV trailer reopens the temporary by name (to move the index to the front).
  state.staging->check_policy();
  state.encode(nullptr);
  check_av<Error>(av_write_trailer(state.muxer.get()), "cannot finish " + state.path);
  // Close before the rename, and look at close's result: a full disk or NFS error shows here.
  if (!(state.muxer->oformat->flags & AVFMT_NOFILE)) {
    check_av<Error>(avio_closep(&state.muxer->pb),
                    "cannot finish " + state.path + " (closing " + state.temporary_path() + ")");
  }
  state.muxer.reset();
  state.staging->commit();
  state.failed = false;
  state.finished = true;
}

const std::string& VideoWriter::path() const { return state_->path; }
const std::string& VideoWriter::temporary_path() const { return state_->staging->temporary_path(); }
const VideoWriterOptions& VideoWriter::options() const { return state_->options; }
int64_t VideoWriter::frames_written() const { return state_->frames_written; }

}  // namespace motionfarm::io
