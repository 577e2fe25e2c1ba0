// The one place that wraps LibTorch APIs that differ between 1.13 (Debian's CPU build, which CI
// uses) and 2.x (the CUDA builds on the clusters). Everything else in model/ calls these.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <torch/version.h>

namespace motionfarm::model::compat {

// 2.x has the fused at::scaled_dot_product_attention (flash / memory-efficient kernels); 1.13 has
// only private, differently-typed variants, so attention.cpp uses its own exact math path there.
#if TORCH_VERSION_MAJOR >= 2
inline constexpr bool kHasFusedAttention = true;
#else
inline constexpr bool kHasFusedAttention = false;
#endif

// softmax(q k^T / sqrt(head_dim)) v with q, k, v in [B, heads, L, head_dim]. `keep_mask`, when
// given, is boolean and broadcastable to [B, heads, Lq, Lk], true where a key takes part.
// Only callable when kHasFusedAttention; throws otherwise.
inline at::Tensor fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const c10::optional<at::Tensor>& keep_mask) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, keep_mask);
#else
  (void)q;
  (void)k;
  (void)v;
  (void)keep_mask;
  TORCH_CHECK(false, "fused attention needs LibTorch 2.x");
#endif
}

}  // namespace motionfarm::model::compat
