#include "model/rope.h"

#include "core/check.h"

namespace motionfarm::model {
namespace {

constexpr int64_t kMaxPositions = 1024;
constexpr double kTheta = 10000.0;

// Angles of one axis: positions [n] x inverse frequencies of a 1D RoPE of width `width` -> [n,
// width/2].
at::Tensor axis_angles(int64_t positions, int64_t width, const at::TensorOptions& f64) {
  const at::Tensor inv_freq =
      1.0 / at::pow(kTheta, at::arange(0, width, 2, f64).div(static_cast<double>(width)));
  return at::outer(at::arange(positions, f64), inv_freq);
}

}  // namespace

RotaryTable RotaryTable::slice(int64_t start, int64_t count) const {
  return RotaryTable{cos.narrow(0, start, count), sin.narrow(0, start, count)};
}

RotaryTable make_rotary_table(int64_t head_dim, const TokenGrid& grid, const at::Device& device) {
  MF_CHECK(head_dim % 2 == 0 && head_dim >= 6, ModelError,
           "RoPE needs an even head_dim of at least 6, got " << head_dim);
  MF_CHECK(grid.frames >= 1 && grid.rows >= 1 && grid.columns >= 1, ModelError,
           "empty token grid " << grid.frames << "x" << grid.rows << "x" << grid.columns);
  MF_CHECK(
      grid.frames <= kMaxPositions && grid.rows <= kMaxPositions && grid.columns <= kMaxPositions,
      ModelError,
      "token grid " << grid.frames << "x" << grid.rows << "x" << grid.columns
                    << " exceeds the reference's 1024 RoPE positions per axis");
  const int64_t pairs = head_dim / 2;
  const int64_t spatial_pairs = pairs / 3;
  const int64_t temporal_pairs = pairs - 2 * spatial_pairs;
  const auto f64 = at::TensorOptions().dtype(at::kDouble);

  const int64_t f = grid.frames, h = grid.rows, w = grid.columns;
  // [f, h, w, pairs]: each token's (frame, row, column) angles side by side.
  const at::Tensor angles = at::cat({axis_angles(f, 2 * temporal_pairs, f64)
                                         .view({f, 1, 1, temporal_pairs})
                                         .expand({f, h, w, temporal_pairs}),
                                     axis_angles(h, 2 * spatial_pairs, f64)
                                         .view({1, h, 1, spatial_pairs})
                                         .expand({f, h, w, spatial_pairs}),
                                     axis_angles(w, 2 * spatial_pairs, f64)
                                         .view({1, 1, w, spatial_pairs})
                                         .expand({f, h, w, spatial_pairs})},
                                    -1);
  const at::Tensor flat = angles.reshape({grid.tokens(), 1, pairs});
  return RotaryTable{flat.cos().to(device), flat.sin().to(device)};
}

at::Tensor apply_rotary(const at::Tensor& x, const RotaryTable& table) {
  MF_CHECK(x.dim() == 4, ModelError,
           "apply_rotary takes [B, L, heads, head_dim], got " << x.sizes());
  MF_CHECK_EQ(x.size(1), table.cos.size(0), ModelError, "RoPE table rows must match the tokens");
  MF_CHECK_EQ(x.size(3), 2 * table.cos.size(2), ModelError, "RoPE table width must match head_dim");
  const bool wide = x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble;
  const at::ScalarType work = wide ? at::kDouble : at::kFloat;
  const at::Tensor cos = table.cos.to(work);
  const at::Tensor sin = table.sin.to(work);
  // [B, L, heads, pairs, 2]: (real, imaginary) of each interleaved pair.
  const at::Tensor pairs = x.to(work).reshape({x.size(0), x.size(1), x.size(2), x.size(3) / 2, 2});
  const at::Tensor re = pairs.select(-1, 0);
  const at::Tensor im = pairs.select(-1, 1);
  const at::Tensor rotated = at::stack({re * cos - im * sin, re * sin + im * cos}, -1);
  return rotated.reshape(x.sizes()).to(x.scalar_type());
}

}  // namespace motionfarm::model
