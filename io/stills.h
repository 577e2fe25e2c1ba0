// Stills for review: single images (poster frames) and contact sheets of a clip.
//
// A contact sheet is a grid of N evenly spaced frames with their frame numbers stamped on, so a
// reviewer sees the whole motion at a glance. ContactSheet takes the frames as they stream out of
// the decoder and keeps only the thumbnails it needs. Files are written through StagedOutput:
// they appear complete or not at all.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::io {

struct StillOptions {
  int jpeg_quality = 95;  // 1..100 for .jpg/.jpeg (maps onto the MJPEG encoder's qscale 31..2)

  // Throws ConfigError when jpeg_quality is outside 1..100.
  void validate() const;
};

// Writes `image` ([3, H, W] float in [-1, 1]) as PNG (8-bit RGB) or JPEG (4:2:0, full range),
// chosen by the extension (.png, .jpg, .jpeg). Throws ConfigError for another extension or an odd
// size for JPEG, Error when the file cannot be written.
void write_still(const at::Tensor& image, const std::string& path,
                 const StillOptions& options = {});

struct ContactSheetOptions {
  int frame_count = 12;  // thumbnails on the sheet (fewer when the clip is shorter)
  int columns = 4;
  int thumbnail_width = 320;                          // the height follows the frame's aspect
  int spacing = 4;                                    // pixels between and around thumbnails
  bool frame_numbers = true;                          // stamp each thumbnail with its frame index
  int label_scale = 2;                                // size of a font pixel in sheet pixels
  std::array<float, 3> background{0.1f, 0.1f, 0.1f};  // RGB in [0, 1]

  // Throws ConfigError naming the bad field.
  void validate() const;
};

// The `count` frame indices spread evenly over [0, total_frames), first and last included; all
// frames when there are no more than `count`.
std::vector<int64_t> contact_sheet_frame_indices(int64_t total_frames, int count);

class ContactSheet {
 public:
  // The clip has `total_frames` frames of frame_width x frame_height.
  ContactSheet(int64_t total_frames, int64_t frame_width, int64_t frame_height,
               const ContactSheetOptions& options = {});

  // frames: the clip's next [N, 3, H, W] frames in order, float in [-1, 1]. Keeps thumbnails of
  // the chosen ones only. Throws ConfigError for a wrong shape or more frames than announced.
  void add_frames(const at::Tensor& frames);

  const std::vector<int64_t>& frame_indices() const { return indices_; }
  bool complete() const { return next_frame_ == total_frames_; }
  // [3, H, W] float in [-1, 1]; cells of frames not yet added stay background.
  at::Tensor image() const;
  // Throws Error unless complete(); see write_still for formats.
  void write(const std::string& path, const StillOptions& options = {}) const;

 private:
  ContactSheetOptions options_;
  int64_t total_frames_;
  int64_t thumbnail_height_;
  std::vector<int64_t> indices_;
  int64_t next_frame_ = 0;
  size_t next_cell_ = 0;
  at::Tensor sheet_;  // [3, H, W]
};

}  // namespace motionfarm::io
