// Scaled dot-product attention, the one function every attention in model/ (and the parallel
// layers built on it) calls.
//
// Layout is the reference's: q [B, Lq, heads, head_dim], k and v [B, Lk, heads, head_dim], result
// [B, Lq, heads, head_dim] in q's dtype; softmax(q k^T / sqrt(head_dim)) v. On LibTorch 2.x this
// is at::scaled_dot_product_attention; on 1.13 it is attention_math below.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

namespace motionfarm::model {

// `key_lengths` (int64 [B], each in [1, Lk]), when given, limits sample b to its first
// key_lengths[b] keys, for batches of variable-length sequences padded to one length.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const c10::optional<at::Tensor>& key_lengths = c10::nullopt);

// The exact math path on every LibTorch: per-sample keys cut to their length (no masking), the
// queries processed in chunks so the score matrix stays under ~256 MiB, softmax in float32 (or
// float64 for float64 inputs). Tests compare the fused path against it.
at::Tensor attention_math(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const c10::optional<at::Tensor>& key_lengths = c10::nullopt);

}  // namespace motionfarm::model
