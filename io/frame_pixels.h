// Float frame tensors to the packed 8/16-bit RGB rows encoders take.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace motionfarm::io {

// Checks `frames` is [N, 3, height, width] and floating point; returns it as contiguous float32
// on the CPU. Throws ConfigError naming the expected and the actual shape otherwise.
at::Tensor frames_for_encoding(const at::Tensor& frames, int64_t width, int64_t height);

// frame: [3, H, W] contiguous float32 in [-1, 1] (values outside are clamped) -> rows of packed
// R, G, B; `stride` is in bytes. 8-bit rounds (x + 1) * 127.5, 16-bit (x + 1) * 32767.5, ties to
// even; the 16-bit rows are in the host's byte order (AV_PIX_FMT_RGB48).
void pack_rgb24(const at::Tensor& frame, uint8_t* rows, int stride);
void pack_rgb48(const at::Tensor& frame, uint8_t* rows, int stride);

}  // namespace motionfarm::io
