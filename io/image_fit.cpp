#include "io/image_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace motionfarm::io {
namespace {

int64_t round_to_stride(double value, int64_t stride) {
  return std::max<int64_t>(stride, std::llround(value / double(stride)) * stride);
}

}  // namespace

// Antialiased bicubic, so a 4K photo shrunk to 480p does not alias; clamped because bicubic
// overshoots at hard edges.
at::Tensor resize_image(const at::Tensor& image, int64_t height, int64_t width) {
  MF_CHECK(image.dim() == 3 && height > 0 && width > 0, ConfigError,
           "resize_image takes [C, H, W] and a positive size, got " << image.sizes() << " -> "
                                                                    << width << "x" << height);
  if (image.size(1) == height && image.size(2) == width) return image;
  const at::Tensor batch = image.to(at::kFloat).unsqueeze(0);  // [1, C, H, W]
  const std::array<int64_t, 2> size{height, width};
  const at::Tensor resized = at::_upsample_bicubic2d_aa(
      batch, at::IntArrayRef(size), /*align_corners=*/false, c10::nullopt, c10::nullopt);
  return resized.squeeze(0).clamp(-1.0, 1.0);
}

FitMode parse_fit_mode(const std::string& text) {
  if (text == "cover") return FitMode::Cover;
  if (text == "contain") return FitMode::Contain;
  if (text == "stretch") return FitMode::Stretch;
  throw ConfigError("unknown fit mode \"" + text + "\"; valid modes: cover, contain, stretch");
}

const char* to_string(FitMode mode) {
  switch (mode) {
    case FitMode::Cover:
      return "cover";
    case FitMode::Contain:
      return "contain";
    case FitMode::Stretch:
      return "stretch";
  }
  return "unknown";
}

void check_frame_size(const FrameSize& size, int64_t stride) {
  MF_CHECK_GE(stride, 1, ConfigError, "the spatial stride must be positive");
  MF_CHECK(size.width > 0 && size.height > 0, ConfigError,
           "frame size " << size.width << "x" << size.height << " must be positive");
  MF_CHECK(size.width % stride == 0 && size.height % stride == 0, ConfigError,
           "frame size " << size.width << "x" << size.height << " is not a multiple of the model's "
                         << "spatial stride " << stride << "; nearest_valid_size() picks one");
}

FrameSize nearest_valid_size(int64_t pixel_area, double aspect, int64_t stride) {
  MF_CHECK_GT(pixel_area, 0, ConfigError, "the requested pixel area must be positive");
  MF_CHECK(aspect > 0.0 && std::isfinite(aspect), ConfigError,
           "the requested aspect ratio must be positive, got " << aspect);
  MF_CHECK_GE(stride, 1, ConfigError, "the spatial stride must be positive");
  const double ideal_width = std::sqrt(double(pixel_area) * aspect);
  const double ideal_height = std::sqrt(double(pixel_area) / aspect);
  // The best size lies within one stride of the ideal on each side; try the neighbours.
  FrameSize best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int64_t dw = -1; dw <= 1; ++dw) {
    for (int64_t dh = -1; dh <= 1; ++dh) {
      const int64_t width = round_to_stride(ideal_width, stride) + dw * stride;
      const int64_t height = round_to_stride(ideal_height, stride) + dh * stride;
      if (width < stride || height < stride) continue;
      const double area_error = std::abs(std::log(double(width * height) / double(pixel_area)));
      const double aspect_error = std::abs(std::log(double(width) / double(height) / aspect));
      const double cost = area_error + aspect_error;
      if (cost < best_cost) {
        best_cost = cost;
        best = {width, height};
      }
    }
  }
  return best;
}

void FitOptions::validate() const {
  MF_CHECK_GE(stride, 1, ConfigError, "the spatial stride must be positive");
  for (float channel : letterbox) {
    MF_CHECK(channel >= 0.0f && channel <= 1.0f, ConfigError,
             "letterbox channels are in [0, 1], got " << channel);
  }
}

at::Tensor fit_image(const at::Tensor& image, const FrameSize& target, const FitOptions& options) {
  options.validate();
  check_frame_size(target, options.stride);
  MF_CHECK(image.dim() == 3 && image.size(0) == 3, ConfigError,
           "fit_image takes an RGB image [3, H, W], got " << image.sizes());
  const at::Tensor source = image.to(at::kFloat);
  const int64_t height = source.size(1);
  const int64_t width = source.size(2);
  switch (options.mode) {
    case FitMode::Stretch:
      return resize_image(source, target.height, target.width).contiguous();
    case FitMode::Cover: {
      // Crop the source to the target's aspect first, then resize once: the crop is centred.
      int64_t crop_width = width;
      int64_t crop_height = height;
      if (width * target.height > height * target.width) {
        crop_width =
            std::max<int64_t>(1, std::llround(double(height) * target.width / target.height));
      } else {
        crop_height =
            std::max<int64_t>(1, std::llround(double(width) * target.height / target.width));
      }
      const at::Tensor crop = source.narrow(1, (height - crop_height) / 2, crop_height)
                                  .narrow(2, (width - crop_width) / 2, crop_width);
      return resize_image(crop, target.height, target.width).contiguous();
    }
    case FitMode::Contain: {
      const double scale = std::min(double(target.width) / width, double(target.height) / height);
      const int64_t inner_width = std::clamp<int64_t>(std::llround(width * scale), 1, target.width);
      const int64_t inner_height =
          std::clamp<int64_t>(std::llround(height * scale), 1, target.height);
      at::Tensor canvas = at::empty({3, target.height, target.width}, at::kFloat);
      for (int64_t c = 0; c < 3; ++c) canvas[c].fill_(2.0 * options.letterbox[c] - 1.0);
      canvas.narrow(1, (target.height - inner_height) / 2, inner_height)
          .narrow(2, (target.width - inner_width) / 2, inner_width)
          .copy_(resize_image(source, inner_height, inner_width));
      return canvas;
    }
  }
  return source;
}

}  // namespace motionfarm::io
