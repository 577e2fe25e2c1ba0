// A 256-colour palette for one RGB frame (median cut), and the frame mapped onto it: what a GIF
// frame is made of. GIF allows one palette per frame, so each frame gets its own.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace motionfarm::io {

struct PalettedImage {
  std::vector<uint8_t> indices;       // width * height palette indices, rows top to bottom
  std::array<uint32_t, 256> palette;  // 0xAARRGGBB, opaque; unused entries are black
  int colours_used = 0;
};

// rgb: packed 8-bit R, G, B rows, `stride` bytes apart. Colours are gathered at 5 bits per
// channel, the palette is their median cut, each entry the mean of the colours it stands for.
PalettedImage quantize_to_palette(const uint8_t* rgb, int width, int height, int stride);

}  // namespace motionfarm::io
