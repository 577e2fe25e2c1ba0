// Reads the frames of a clip (MP4, WebM, MOV, GIF: anything FFmpeg demuxes and decodes) back as
// float tensors, optionally scaled down while converting, for review stills made after the fact
// (the report's poster frames and contact sheets).
//
//   VideoReaderOptions options;
//   options.width = 320;                      // the height follows the aspect (even)
//   VideoReader reader("out/clip.mp4", options);
//   while (true) {
//     at::Tensor frames = reader.read_frames(16);  // [N, 3, H, W] in [-1, 1]
//     if (frames.size(0) == 0) break;
//   }
//
// Not thread-safe; one reader per clip. FFmpeg's own log lines are kept below the error level:
// a damaged clip is reported once, through the InputError that names it.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>

namespace motionfarm::io {

struct VideoReaderOptions {
  // Output size; 0 keeps the clip's. When only one side is given the other follows the clip's
  // aspect, rounded to an even number (what the 4:2:0 JPEG stills need).
  int64_t width = 0;
  int64_t height = 0;
  // Never enlarge: a clip smaller than the size asked for is read at its own size.
  bool shrink_only = false;

  // Throws ConfigError for a negative side or one above 16384.
  void validate() const;
};

struct VideoInfo {
  int64_t width = 0;   // of the frames read_frames returns
  int64_t height = 0;  //
  int64_t frames = 0;  // in the clip (from the container, or counted by demuxing when unknown)
  double fps = 0.0;
  std::string codec;  // FFmpeg's decoder name, e.g. "h264", "vp9"
};

class VideoReader {
 public:
  // Opens the clip and its first video stream. Throws InputError naming `path` when it is missing
  // or holds no decodable video.
  explicit VideoReader(const std::string& path, const VideoReaderOptions& options = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;

  // The next frames, at most `max_frames` (>= 1): [N, 3, height, width] float32 in [-1, 1];
  // N is 0 at the end of the clip. Throws InputError when the data cannot be decoded.
  at::Tensor read_frames(int64_t max_frames);

  // Decodes the next `count` frames without converting them (cheaper than read_frames when only a
  // few frames of a clip are wanted, e.g. a contact sheet). Returns how many there were: fewer
  // than `count` at the end of the clip. Throws InputError when the data cannot be decoded.
  int64_t skip_frames(int64_t count);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace motionfarm::io
