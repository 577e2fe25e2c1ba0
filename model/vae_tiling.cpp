#include "model/vae_tiling.h"

#include <algorithm>

namespace motionfarm::model {
namespace {

// Weights along one side of a tile: a ramp (i + 1) / (ramp + 1) over the first / last `ramp`
// pixels where another tile continues, 1 elsewhere. Never 0, so every pixel has weight.
at::Tensor ramp_1d(int64_t length, int64_t ramp_before, int64_t ramp_after) {
  std::vector<float> w(static_cast<std::size_t>(length), 1.0f);
  ramp_before = std::min(ramp_before, length / 2);
  ramp_after = std::min(ramp_after, length / 2);
  for (int64_t i = 0; i < ramp_before; ++i) {
    w[static_cast<std::size_t>(i)] =
        static_cast<float>(i + 1) / static_cast<float>(ramp_before + 1);
  }
  for (int64_t i = 0; i < ramp_after; ++i) {
    w[static_cast<std::size_t>(length - 1 - i)] =
        static_cast<float>(i + 1) / static_cast<float>(ramp_after + 1);
  }
  return at::tensor(w, at::TensorOptions().dtype(at::kFloat));
}

}  // namespace

std::vector<std::pair<int64_t, int64_t>> vae_tile_spans(int64_t total, int64_t tile,
                                                        int64_t overlap) {
  if (tile >= total) return {{0, total}};
  const int64_t stride = std::max<int64_t>(1, tile - overlap);
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int64_t start = 0;; start += stride) {
    // The last tile is pulled back to end at the frame edge, keeping every tile full size.
    const int64_t begin = std::min(start, total - tile);
    spans.emplace_back(begin, begin + tile);
    if (begin + tile >= total) break;
  }
  return spans;
}

std::vector<VaeTile> plan_vae_tiles(int64_t height, int64_t width, const VaeTiling& tiling,
                                    int64_t scale, at::Device device) {
  const auto rows = vae_tile_spans(height, tiling.tile_size, tiling.overlap);
  const auto cols = vae_tile_spans(width, tiling.tile_size, tiling.overlap);
  const int64_t ramp = tiling.overlap * scale;
  std::vector<VaeTile> tiles;
  for (const auto& [r0, r1] : rows) {
    for (const auto& [c0, c1] : cols) {
      VaeTile tile;
      tile.row0 = r0;
      tile.row1 = r1;
      tile.col0 = c0;
      tile.col1 = c1;
      const at::Tensor wr = ramp_1d((r1 - r0) * scale, r0 > 0 ? ramp : 0, r1 < height ? ramp : 0);
      const at::Tensor wc = ramp_1d((c1 - c0) * scale, c0 > 0 ? ramp : 0, c1 < width ? ramp : 0);
      tile.weight = at::outer(wr, wc).reshape({1, 1, 1, wr.size(0), wc.size(0)}).to(device);
      tiles.push_back(std::move(tile));
    }
  }
  return tiles;
}

}  // namespace motionfarm::model
