// Wan's 3D rotary position embedding.
//
// Each head's head_dim channels form c = head_dim/2 interleaved pairs (channels 2j, 2j+1), rotated
// as complex numbers. The pairs are split over the token's grid position (frame, row, column) as
// c - 2*floor(c/3) : floor(c/3) : floor(c/3); each part's frequencies are those of a 1D RoPE of
// width 2*(its pair count), theta 10000 (the reference's rope_params(1024, d - 4*floor(d/6)) and
// rope_params(1024, 2*floor(d/6)) twice).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace motionfarm::model {

// The token grid after patching: tokens are ordered frame-major, then row, then column.
struct TokenGrid {
  int64_t frames = 0;
  int64_t rows = 0;
  int64_t columns = 0;
  int64_t tokens() const { return frames * rows * columns; }
};

// cos/sin of every token's rotation angles, float64 [tokens, 1, head_dim/2] (broadcast over heads).
struct RotaryTable {
  at::Tensor cos;
  at::Tensor sin;

  // The rows of tokens [start, start + count), for code that holds a shard of the sequence.
  RotaryTable slice(int64_t start, int64_t count) const;
};

// Positions must stay below 1024 per axis, the length of the reference's tables.
RotaryTable make_rotary_table(int64_t head_dim, const TokenGrid& grid, const at::Device& device);

// Rotates x [B, L, heads, head_dim] by the table's L rows. Float32/64 inputs are rotated in
// float64, as the reference does; half-precision inputs in float32. Returns x's dtype.
at::Tensor apply_rotary(const at::Tensor& x, const RotaryTable& table);

}  // namespace motionfarm::model
