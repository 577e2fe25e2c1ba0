// Fits a decoded image to the model's resolution with a named fit mode.
//
// The DiT sees the image through the VAE (8x spatial) and 2x2 patches, so every frame side must be
// a multiple of that spatial stride (16 for Wan). `nearest_valid_size` turns "about this many
// pixels at this aspect" into such a size; `fit_image` then resizes with antialiasing:
//   cover   (default) scale until the target is covered, centre-crop the rest;
//   contain scale until the image fits, letterbox the rest with a background colour;
//   stretch scale each axis independently (changes the aspect).
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>

namespace motionfarm::io {

enum class FitMode { Cover, Contain, Stretch };

// "cover", "contain", "stretch"; throws ConfigError naming the valid modes otherwise.
FitMode parse_fit_mode(const std::string& text);
const char* to_string(FitMode mode);

struct FrameSize {
  int64_t width = 0;
  int64_t height = 0;
};

// Throws ConfigError unless both sides are positive multiples of `stride`.
void check_frame_size(const FrameSize& size, int64_t stride);

// The size whose sides are multiples of `stride` that is closest to `pixel_area` pixels at
// `aspect` (= width / height), e.g. (480 * 832, 832 / 480., 16) -> 832x480. Closeness weighs the
// relative error in area and in aspect equally. Throws ConfigError for non-positive inputs.
FrameSize nearest_valid_size(int64_t pixel_area, double aspect, int64_t stride);

struct FitOptions {
  FitMode mode = FitMode::Cover;
  int64_t stride = 16;                               // spatial stride target sizes must divide by
  std::array<float, 3> letterbox{0.0f, 0.0f, 0.0f};  // RGB in [0, 1] for `contain` bars

  // Throws ConfigError when stride < 1 or a letterbox channel is outside [0, 1].
  void validate() const;
};

// image: [C, H, W] float -> [C, height, width], antialiased bicubic clamped to [-1, 1]; any size.
at::Tensor resize_image(const at::Tensor& image, int64_t height, int64_t width);

// image: [3, H, W] float in [-1, 1] -> [3, target.height, target.width] float in [-1, 1].
// Throws ConfigError when `target` is not valid for options.stride.
at::Tensor fit_image(const at::Tensor& image, const FrameSize& target,
                     const FitOptions& options = {});

}  // namespace motionfarm::io
