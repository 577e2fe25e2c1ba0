#include "model/wan_dit_block.h"

#include "core/check.h"
#include "model/attention.h"
#include "model/dit_layers.h"

namespace motionfarm::model {
namespace {

// [B, L, dim] -> [B, L, heads, head_dim]
at::Tensor split_heads(const at::Tensor& x, int64_t head_dim) {
  return x.reshape({x.size(0), x.size(1), x.size(2) / head_dim, head_dim});
}

at::Tensor maybe_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return weight.defined() ? rms_norm(x, weight, eps) : x;
}

}  // namespace

BlockModulation block_modulation(const at::Tensor& table, const at::Tensor& e0) {
  MF_CHECK(e0.dim() == 4 && e0.size(2) == 6, ModelError,
           "block modulation input must be [B, T, 6, dim], got " << e0.sizes());
  // [1, 1, 6, dim] + [B, T, 6, dim], in float32 as the reference's autocast block.
  const at::Tensor m = table.to(at::kFloat).unsqueeze(0) + e0.to(at::kFloat);
  return BlockModulation{m.select(2, 0), m.select(2, 1), m.select(2, 2),
                         m.select(2, 3), m.select(2, 4), m.select(2, 5)};
}

QKV project_qkv(const AttentionWeights& weights, const at::Tensor& x, int64_t head_dim,
                double eps) {
  return QKV{split_heads(maybe_rms_norm(linear(x, weights.q), weights.norm_q, eps), head_dim),
             split_heads(maybe_rms_norm(linear(x, weights.k), weights.norm_k, eps), head_dim),
             split_heads(linear(x, weights.v), head_dim)};
}

QKV project_context_kv(const AttentionWeights& weights, const at::Tensor& context, int64_t head_dim,
                       double eps, bool image) {
  const LinearWeights& k = image ? weights.k_img : weights.k;
  const LinearWeights& v = image ? weights.v_img : weights.v;
  const at::Tensor& norm = image ? weights.norm_k_img : weights.norm_k;
  return QKV{at::Tensor(), split_heads(maybe_rms_norm(linear(context, k), norm, eps), head_dim),
             split_heads(linear(context, v), head_dim)};
}

at::Tensor attention_output(const AttentionWeights& weights, const at::Tensor& heads) {
  return linear(heads.reshape({heads.size(0), heads.size(1), -1}), weights.o);
}

at::Tensor self_attention(const AttentionWeights& weights, const at::Tensor& x,
                          const RotaryTable& rope, const WanDiTConfig& config) {
  const QKV qkv = project_qkv(weights, x, config.head_dim(), config.eps);
  // The reference pads the sequence to seq_len and masks the padding out of the keys; holding
  // only the real tokens gives the same result for them without the padding's work.
  const at::Tensor heads = attention(apply_rotary(qkv.q, rope), apply_rotary(qkv.k, rope), qkv.v);
  return attention_output(weights, heads);
}

at::Tensor cross_attention(const AttentionWeights& weights, const at::Tensor& x,
                           const at::Tensor& context, const at::Tensor& image_context,
                           const WanDiTConfig& config) {
  const int64_t head_dim = config.head_dim();
  const at::Tensor q =
      split_heads(maybe_rms_norm(linear(x, weights.q), weights.norm_q, config.eps), head_dim);
  // The text padding (zeros up to text_len, embedded) is attended, as in the reference.
  const QKV text = project_context_kv(weights, context, head_dim, config.eps, false);
  at::Tensor heads = attention(q, text.k, text.v);
  if (image_context.defined()) {
    const QKV image = project_context_kv(weights, image_context, head_dim, config.eps, true);
    heads = heads + attention(q, image.k, image.v);
  }
  return attention_output(weights, heads);
}

at::Tensor feed_forward(const BlockWeights& weights, const at::Tensor& x) {
  return linear(gelu_tanh(linear(x, weights.ffn_in)), weights.ffn_out);
}

at::Tensor run_block(const BlockWeights& weights, const at::Tensor& x, const BlockInputs& inputs,
                     const WanDiTConfig& config) {
  const BlockModulation m = block_modulation(weights.modulation, inputs.e0);
  at::Tensor residual = x.to(at::kFloat);

  const at::Tensor attn_in =
      modulate(layer_norm_fp32(residual, config.eps), m.shift_msa, m.scale_msa);
  const at::Tensor attn_out = self_attention(weights.self_attn, attn_in, inputs.rope, config);
  residual = residual + attn_out.to(at::kFloat) * m.gate_msa;

  const at::Tensor cross_in =
      weights.norm3_weight.defined()
          ? layer_norm_fp32(residual, config.eps, weights.norm3_weight, weights.norm3_bias)
          : residual;
  residual = residual + cross_attention(weights.cross_attn, cross_in, inputs.context,
                                        inputs.image_context, config)
                            .to(at::kFloat);

  const at::Tensor ffn_in =
      modulate(layer_norm_fp32(residual, config.eps), m.shift_mlp, m.scale_mlp);
  return residual + feed_forward(weights, ffn_in).to(at::kFloat) * m.gate_mlp;
}

}  // namespace motionfarm::model
