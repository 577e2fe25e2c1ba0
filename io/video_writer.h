// Encodes generated frames into a deliverable (MP4, WebM, MOV, PNG folder, WebP, GIF) with the
// FFmpeg libraries, streaming: frames are pushed a segment at a time and never all held.
//
//   VideoWriterOptions options;
//   options.format = OutputFormat::H264Mp4;
//   options.width = 832; options.height = 480;
//   VideoWriter writer("out/clip.mp4", options);
//   for (each decoded segment) writer.write_frames(segment);  // [N, 3, 480, 832] in [-1, 1]
//   writer.finish();                                          // clip.mp4 appears only now
//
// The output is written under a hidden temporary name beside the final one (StagedOutput) and
// renamed into place by finish(): an exception, a crash or SIGKILL never leaves a truncated file
// under the final name. A writer destroyed before finish() removes its temporary.
// Not thread-safe; one writer per output.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>

#include "io/staged_output.h"
#include "io/video_writer_options.h"

namespace motionfarm::io {

class VideoWriter {
 public:
  // `path` is the final file (for OutputFormat::PngSequence, the final folder; frames are named
  // frame_00000.png, ... from 0). Validates the options, opens the encoder and the temporary
  // output. Throws ConfigError for invalid options or an encoder this FFmpeg build or machine
  // lacks (NVENC without an NVIDIA GPU), OutputPathError when `policy` refuses `path`
  // (io/staged_output.h; checked again by finish()), Error when the output cannot be created.
  // DiskFullError from here, write_frames() or finish() names the clip and says the disk is full.
  VideoWriter(const std::string& path, const VideoWriterOptions& options,
              const OutputPolicy& policy = {});
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // frames: [N, 3, height, width], floating point in [-1, 1] (clamped), any device. Encodes them
  // now; the writer keeps no reference to the tensor. Throws Error when encoding fails; the writer
  // is then unusable and its temporary is removed on destruction.
  void write_frames(const at::Tensor& frames);

  // Drains the encoder, writes the container index (MP4: moved before the media data), flushes
  // and renames the temporary into place. Throws Error when no frame was written or a step fails.
  void finish();

  const std::string& path() const;
  const std::string& temporary_path() const;
  const VideoWriterOptions& options() const;
  int64_t frames_written() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace motionfarm::io
