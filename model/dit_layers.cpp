#include "model/dit_layers.h"

namespace motionfarm::model {

at::Tensor linear(const at::Tensor& x, const LinearWeights& weights) {
  return at::linear(x.to(weights.weight.scalar_type()), weights.weight, weights.bias);
}

at::Tensor layer_norm_fp32(const at::Tensor& x, double eps, const at::Tensor& weight,
                           const at::Tensor& bias) {
  const auto to_fp32 = [](const at::Tensor& t) {
    return t.defined() ? c10::optional<at::Tensor>(t.to(at::kFloat)) : c10::nullopt;
  };
  return at::layer_norm(x.to(at::kFloat), {x.size(-1)}, to_fp32(weight), to_fp32(bias), eps);
}

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (normed * weight.to(at::kFloat)).to(x.scalar_type());
}

at::Tensor gelu_tanh(const at::Tensor& x) { return at::gelu(x, "tanh"); }

at::Tensor gelu_exact(const at::Tensor& x) { return at::gelu(x); }

at::Tensor modulate(const at::Tensor& normed, const at::Tensor& shift, const at::Tensor& scale) {
  return normed.to(at::kFloat) * (1 + scale) + shift;
}

}  // namespace motionfarm::model
