// One Wan DiT block (WanAttentionBlock), as separate pieces: sequence- and tensor-parallel code
// calls these with sharded tokens or sliced weights and adds its collectives between them, and
// run_block() composes them for one device.
//
// Data flow of run_block (x is the float32 residual stream, [B, L, dim]):
//   m = modulation + e0                                   six [B, T, dim] (T = 1 or L), fp32
//   x += self_attention(norm1(x) * (1 + m.scale_msa) + m.shift_msa) * m.gate_msa
//   x += cross_attention(norm3(x), context)
//   x += ffn(norm2(x) * (1 + m.scale_mlp) + m.shift_mlp) * m.gate_mlp
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "model/rope.h"
#include "model/wan_dit_config.h"
#include "model/wan_dit_weights.h"

namespace motionfarm::model {

// The six modulation vectors of one block, float32, each [B, T, dim] (T = 1 or tokens).
struct BlockModulation {
  at::Tensor shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp;
};

// table [1, 6, dim] + e0 [B, T, 6, dim], in float32.
BlockModulation block_modulation(const at::Tensor& table, const at::Tensor& e0);

// What every block reads besides the residual stream; the same for all blocks of one forward.
struct BlockInputs {
  at::Tensor e0;             // [B, T, 6, dim] float32 (T = 1 or the tokens held)
  RotaryTable rope;          // the rows of the tokens held
  at::Tensor context;        // [B, text_len, dim]: embedded text, padding included
  at::Tensor image_context;  // [B, image tokens, dim]: embedded CLIP tokens (i2v/flf2v only)
};

struct QKV {
  at::Tensor q, k, v;  // [B, L, heads, head_dim]
};

// Projections of x [B, L, dim]: q, k, v, with q/k RMSNorm over the full width before the heads
// are split (so tensor-parallel code must reduce the norm's statistics across its shards).
QKV project_qkv(const AttentionWeights& weights, const at::Tensor& x, int64_t head_dim, double eps);

// Keys and values of a context [B, Lc, dim] for cross-attention (text: k/v/norm_k; image:
// k_img/v_img/norm_k_img when `image` is true).
QKV project_context_kv(const AttentionWeights& weights, const at::Tensor& context, int64_t head_dim,
                       double eps, bool image);

// heads [B, L, heads, head_dim] -> o projection [B, L, dim].
at::Tensor attention_output(const AttentionWeights& weights, const at::Tensor& heads);

// Self-attention of x [B, L, dim] (already normalised and modulated): qkv, RoPE, attention over
// the L tokens, output projection. Returns [B, L, dim] in the compute dtype.
at::Tensor self_attention(const AttentionWeights& weights, const at::Tensor& x,
                          const RotaryTable& rope, const WanDiTConfig& config);

// Cross-attention of x [B, L, dim] (after norm3) to the text context, plus, with an image context,
// to the CLIP tokens through k_img/v_img; the two attention results are summed before `o`.
at::Tensor cross_attention(const AttentionWeights& weights, const at::Tensor& x,
                           const at::Tensor& context, const at::Tensor& image_context,
                           const WanDiTConfig& config);

// ffn.2(GELU_tanh(ffn.0(x))): [B, L, dim] -> [B, L, dim].
at::Tensor feed_forward(const BlockWeights& weights, const at::Tensor& x);

// The whole block: x [B, L, dim] float32 -> the next residual stream, float32.
at::Tensor run_block(const BlockWeights& weights, const at::Tensor& x, const BlockInputs& inputs,
                     const WanDiTConfig& config);

}  // namespace motionfarm::model
