// A built-in 5x7 bitmap font for the digits 0-9: enough to stamp frame numbers on review stills
// without a font library.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace motionfarm::io {

// Glyph rows of `digit` (0..9), top to bottom; bit 4 is the leftmost pixel.
const uint8_t* digit_glyph(int digit);

// Draws `number` (>= 0) in white on a black box whose top-left corner is (x, y) in `image`
// ([3, H, W] float in [-1, 1], modified in place); each font pixel is `scale` x `scale` pixels.
// Parts outside the image are clipped. Returns the box's width in pixels.
int64_t draw_number(at::Tensor& image, int64_t number, int64_t x, int64_t y, int64_t scale);

}  // namespace motionfarm::io
