// Checks an asset's input image before the job starts: it exists, is readable, is an image that
// is not cut short, and has a size (for `resolution: auto`). Reads headers only, never pixels.
#pragma once

#include <cstdint>
#include <string>

namespace motionfarm::coordinator {

struct ImageProbe {
  bool usable = false;
  std::string problem;  // why not, with the fix, when !usable
  std::string format;   // "png", "jpeg", "webp", ...
  int64_t width = 0;
  int64_t height = 0;
};

// `path` is absolute. PNG and WebP are checked from their headers and chunk list; a JPEG is
// scanned for its end marker, which reads the file once (memory-mapped).
ImageProbe probe_image(const std::string& path);

}  // namespace motionfarm::coordinator
