// The small layers the Wan DiT is built from, as free functions over explicit weight tensors so
// that tensor-parallel code can call them with sliced weights.
//
// Precision follows the reference: norms are computed in float32 whatever the input dtype, and
// linear layers run in their weight's dtype (the placement's compute dtype).
#pragma once

#include <ATen/ATen.h>

namespace motionfarm::model {

// nn.Linear's parameters: weight [out, in], bias [out].
struct LinearWeights {
  at::Tensor weight;
  at::Tensor bias;
};

// x @ weight^T + bias, with x cast to the weight's dtype first.
at::Tensor linear(const at::Tensor& x, const LinearWeights& weights);

// LayerNorm over the last dim, computed and returned in float32. `weight`/`bias` may be undefined
// (the reference's norm1, norm2 and head norm have no affine parameters).
at::Tensor layer_norm_fp32(const at::Tensor& x, double eps, const at::Tensor& weight = {},
                           const at::Tensor& bias = {});

// WanRMSNorm over the last dim: x * rsqrt(mean(x^2) + eps) * weight, computed in float32 and
// returned in x's dtype. The q/k norms apply it over the full model width, before the head split.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// GELU with the tanh approximation (FFN, text embedding) and the exact one (CLIP projection).
at::Tensor gelu_tanh(const at::Tensor& x);
at::Tensor gelu_exact(const at::Tensor& x);

// adaLN: normed * (1 + scale) + shift, in float32 (scale/shift broadcast over tokens).
at::Tensor modulate(const at::Tensor& normed, const at::Tensor& shift, const at::Tensor& scale);

}  // namespace motionfarm::model
