// Spatial tiling of the VAE decoder: which latent rectangles to decode separately, and the
// weights that blend their overlapping pixels back into one frame.
//
// Tiles are tile_size latent pixels square (the last row/column of tiles is shifted back to stay
// inside the frame, overlapping its neighbour by more), neighbours share at least `overlap` latent
// pixels, and inside the shared band each tile's weight ramps linearly from its edge. The ramps
// touch only edges that meet another tile, so the frame's own border keeps full weight.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "model/vae_config.h"

namespace motionfarm::model {

struct VaeTile {
  int64_t row0 = 0, row1 = 0;  // latent rows [row0, row1)
  int64_t col0 = 0, col1 = 0;  // latent columns [col0, col1)
  at::Tensor weight;           // [1, 1, 1, rows * scale, cols * scale] float32, > 0
};

// [start, end) spans of at most `tile` covering [0, total), consecutive spans sharing at least
// `overlap`. One span when the whole extent fits in a tile.
std::vector<std::pair<int64_t, int64_t>> vae_tile_spans(int64_t total, int64_t tile,
                                                        int64_t overlap);

// The tiles of an `height` x `width` latent frame; `scale` is pixels per latent pixel. A single
// tile (no blending needed) when the frame fits in one.
std::vector<VaeTile> plan_vae_tiles(int64_t height, int64_t width, const VaeTiling& tiling,
                                    int64_t scale, at::Device device);

}  // namespace motionfarm::model
