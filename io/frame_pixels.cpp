#include "io/frame_pixels.h"

#include <algorithm>

#include "core/check.h"

namespace motionfarm::io {
namespace {

// Planar [3, H, W] float -> interleaved rows of round((x + 1) / 2 * full_scale), clamped. One pass
// over the frame: this runs once per frame on the encoding thread, so it must cost far less than
// the encoder. Adding and subtracting 1.5 * 2^23 rounds a float to an integer, ties to even, in the
// default rounding mode (exact for |v| < 2^22), like std::nearbyint but vectorisable.
template <class Sample>
void pack(const at::Tensor& frame, uint8_t* rows, int stride, float full_scale) {
  MF_CHECK(frame.dim() == 3 && frame.size(0) == 3 && frame.scalar_type() == at::kFloat &&
               frame.is_contiguous(),
           ConfigError,
           "pack_rgb takes a contiguous float32 [3, H, W] frame, got " << frame.sizes());
  constexpr float kRound = 12582912.0f;
  const int64_t height = frame.size(1);
  const int64_t width = frame.size(2);
  const float* planes = frame.data_ptr<float>();
  const int64_t plane = height * width;
  const float half = 0.5f * full_scale;
  for (int64_t y = 0; y < height; ++y) {
    auto* out = reinterpret_cast<Sample*>(rows + y * stride);
    for (int64_t c = 0; c < 3; ++c) {
      const float* in = planes + c * plane + y * width;
      for (int64_t x = 0; x < width; ++x) {
        const float value = std::min(std::max(in[x], -1.0f), 1.0f);
        const float scaled = ((value + 1.0f) * half + kRound) - kRound;
        out[3 * x + c] = static_cast<Sample>(scaled);
      }
    }
  }
}

}  // namespace

at::Tensor frames_for_encoding(const at::Tensor& frames, int64_t width, int64_t height) {
  MF_CHECK(frames.defined() && frames.dim() == 4 && frames.size(1) == 3 &&
               frames.size(2) == height && frames.size(3) == width,
           ConfigError,
           "frames must be [N, 3, " << height << ", " << width << "] (the writer's size), got "
                                    << (frames.defined() ? frames.sizes() : at::IntArrayRef{}));
  MF_CHECK(at::isFloatingType(frames.scalar_type()), ConfigError,
           "frames must be floating point in [-1, 1], got " << frames.scalar_type());
  return frames.to(at::kCPU, at::kFloat).contiguous();
}

void pack_rgb24(const at::Tensor& frame, uint8_t* rows, int stride) {
  pack<uint8_t>(frame, rows, stride, 255.0f);
}

void pack_rgb48(const at::Tensor& frame, uint8_t* rows, int stride) {
  pack<uint16_t>(frame, rows, stride, 65535.0f);
}

}  // namespace motionfarm::io
