#include "io/digit_font.h"

#include <algorithm>
#include <string>

#include "core/check.h"

namespace motionfarm::io {
namespace {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;

constexpr uint8_t kGlyphs[10][kGlyphHeight] = {
    {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},  // 0
    {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},  // 1
    {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},  // 2
    {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},  // 3
    {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},  // 4
    {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},  // 5
    {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},  // 6
    {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},  // 7
    {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},  // 8
    {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},  // 9
};

// Fills the clipped rectangle [x, x + w) x [y, y + h) with `value` in every channel.
void fill(at::Tensor& image, int64_t x, int64_t y, int64_t w, int64_t h, float value) {
  const int64_t x0 = std::max<int64_t>(x, 0), y0 = std::max<int64_t>(y, 0);
  const int64_t x1 = std::min(x + w, image.size(2)), y1 = std::min(y + h, image.size(1));
  if (x0 >= x1 || y0 >= y1) return;
  image.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0).fill_(value);
}

}  // namespace

const uint8_t* digit_glyph(int digit) {
  MF_CHECK(digit >= 0 && digit <= 9, ConfigError, "digit " << digit << " is not 0..9");
  return kGlyphs[digit];
}

int64_t draw_number(at::Tensor& image, int64_t number, int64_t x, int64_t y, int64_t scale) {
  MF_CHECK(image.dim() == 3 && image.size(0) == 3, ConfigError,
           "draw_number takes an RGB image [3, H, W], got " << image.sizes());
  MF_CHECK_GE(number, 0, ConfigError, "draw_number draws non-negative numbers");
  MF_CHECK_GE(scale, 1, ConfigError, "the digit scale must be at least 1");
  const std::string digits = std::to_string(number);
  // One font pixel of margin around the glyphs and between them.
  const int64_t advance = (kGlyphWidth + 1) * scale;
  const int64_t box_width = int64_t(digits.size()) * advance + scale;
  fill(image, x, y, box_width, (kGlyphHeight + 2) * scale, -1.0f);
  for (size_t d = 0; d < digits.size(); ++d) {
    const uint8_t* glyph = digit_glyph(digits[d] - '0');
    const int64_t left = x + scale + int64_t(d) * advance;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int column = 0; column < kGlyphWidth; ++column) {
        if (glyph[row] & (1 << (kGlyphWidth - 1 - column))) {
          fill(image, left + column * scale, y + (row + 1) * scale, scale, scale, 1.0f);
        }
      }
    }
  }
  return box_width;
}

}  // namespace motionfarm::io
