#include "model/umt5_encoder.h"

#include <ATen/core/grad_mode.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {
namespace {

bool is_reduced_precision(at::ScalarType dtype) {
  return dtype == at::kHalf || dtype == at::kBFloat16;
}

// torch.finfo(dtype).min: the reference fills masked attention logits with it (not -inf), so a
// query whose keys are all padding still gets finite, uniform weights.
double lowest_value(at::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf:
      return -65504.0;
    case at::kBFloat16:
      return -3.3895313892515355e38;
    case at::kDouble:
      return std::numeric_limits<double>::lowest();
    default:
      return std::numeric_limits<float>::lowest();
  }
}

// T5LayerNorm: RMS over the last dim in float32, no mean subtraction, no bias.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor y = x * at::rsqrt(x.to(at::kFloat).pow(2).mean(-1, /*keepdim=*/true) + eps);
  if (is_reduced_precision(weight.scalar_type())) y = y.to(weight.scalar_type());
  return weight * y;
}

// The tanh approximation of GELU, written as the reference writes it (its own GELU module).
at::Tensor gelu_tanh(const at::Tensor& x) {
  const double sqrt_2_over_pi = std::sqrt(2.0 / 3.14159265358979323846);
  return 0.5 * x * (1.0 + at::tanh(sqrt_2_over_pi * (x + 0.044715 * at::pow(x, 3.0))));
}

// The reference's fp16_clamp: float16 residual sums that overflowed are pulled back into range.
at::Tensor clamp_float16(const at::Tensor& x) {
  if (x.scalar_type() != at::kHalf || !at::isinf(x).any().item<bool>()) return x;
  const double limit = 65504.0 - 1000.0;
  return at::clamp(x, -limit, limit);
}

}  // namespace

at::Tensor umt5_relative_position_buckets(int64_t lq, int64_t lk, int64_t num_buckets,
                                          int64_t max_dist, at::Device device) {
  const auto options = at::TensorOptions().dtype(at::kLong).device(device);
  // [lq, lk]: key position minus query position.
  at::Tensor relative = at::arange(lk, options).unsqueeze(0) - at::arange(lq, options).unsqueeze(1);
  const int64_t half = num_buckets / 2;
  at::Tensor buckets = (relative > 0).to(at::kLong) * half;
  relative = at::abs(relative);
  const int64_t max_exact = half / 2;
  // Same op order and dtypes as the reference so the float32 log rounds to the same buckets.
  // (log(0) = -inf at distance 0 is discarded by the where below, as in the reference.)
  at::Tensor large =
      max_exact + (at::log(relative.to(at::kFloat) / max_exact) /
                   std::log(static_cast<double>(max_dist) / static_cast<double>(max_exact)) *
                   (half - max_exact))
                      .to(at::kLong);
  large = at::clamp_max(large, half - 1);
  return buckets + at::where(relative < max_exact, relative, large);
}

Umt5Encoder Umt5Encoder::load(const io::SafetensorsCheckpoint& checkpoint, const Umt5Config& config,
                              const EncoderLoadOptions& options) {
  config.validate();
  options.validate();
  const EncoderCheckpoint source(checkpoint, EncoderKind::kUmt5);
  Umt5Encoder encoder(config, options);
  const int64_t dim = config.dim;
  const int64_t attn = config.dim_attn;
  const int64_t ffn = config.dim_ffn;
  encoder.token_embedding_ = source.weight("token_embedding.weight", {config.vocab, dim}, options);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    Block block;
    block.norm1 = source.weight(p + "norm1.weight", {dim}, options);
    block.q = source.weight(p + "attn.q.weight", {attn, dim}, options);
    block.k = source.weight(p + "attn.k.weight", {attn, dim}, options);
    block.v = source.weight(p + "attn.v.weight", {attn, dim}, options);
    block.o = source.weight(p + "attn.o.weight", {dim, attn}, options);
    block.position_bias = source.weight(p + "pos_embedding.embedding.weight",
                                        {config.num_buckets, config.num_heads}, options);
    block.norm2 = source.weight(p + "norm2.weight", {dim}, options);
    block.gate = source.weight(p + "ffn.gate.0.weight", {ffn, dim}, options);
    block.fc1 = source.weight(p + "ffn.fc1.weight", {ffn, dim}, options);
    block.fc2 = source.weight(p + "ffn.fc2.weight", {dim, ffn}, options);
    encoder.blocks_.push_back(std::move(block));
  }
  encoder.norm_ = source.weight("norm.weight", {dim}, options);
  const std::string extra = "blocks." + std::to_string(config.num_layers) + ".attn.q.weight";
  MF_CHECK(!source.contains(extra), ModelError,
           checkpoint.path() << " has more than the config's " << config.num_layers
                             << " umT5 layers: the config does not describe these weights");
  return encoder;
}

at::Tensor Umt5Encoder::forward(const at::Tensor& ids, const at::Tensor& mask) const {
  MF_CHECK_EQ(ids.dim(), 2, ModelError, "umT5 ids must be [batch, length]");
  MF_CHECK(mask.sizes() == ids.sizes(), ModelError,
           "umT5 mask must have the ids' shape [batch, length]");
  at::Tensor token_ids = at::isFloatingType(ids.scalar_type()) ? ids.round() : ids;
  token_ids = token_ids.to(options_.device, at::kLong);
  return run(token_ids, mask.to(options_.device) == 0);
}

at::Tensor Umt5Encoder::encode_tokens(const at::Tensor& ids) const {
  MF_CHECK_EQ(ids.dim(), 1, ModelError, "umT5 encode_tokens takes one prompt's ids [length]");
  MF_CHECK_GT(ids.size(0), 0, ModelError, "a prompt has at least its EOS token");
  const at::Tensor token_ids = ids.to(options_.device, at::kLong).unsqueeze(0);
  const at::Tensor no_padding = at::zeros_like(token_ids, token_ids.options().dtype(at::kBool));
  return run(token_ids, no_padding).squeeze(0);
}

at::Tensor Umt5Encoder::run(const at::Tensor& ids, const at::Tensor& key_is_padding) const {
  at::NoGradGuard no_grad;
  if (ids.numel() > 0) {
    const int64_t smallest = ids.min().item<int64_t>();
    const int64_t largest = ids.max().item<int64_t>();
    MF_CHECK(smallest >= 0 && largest < config_.vocab, ModelError,
             "token id " << (smallest < 0 ? smallest : largest)
                         << " is outside the umT5 vocabulary of " << config_.vocab
                         << ": the tokenizer does not match the text encoder");
  }
  const int64_t batch = ids.size(0);
  const int64_t length = ids.size(1);
  const int64_t heads = config_.num_heads;
  const int64_t head_dim = config_.head_dim();

  at::Tensor x = at::embedding(token_embedding_, ids);  // [B, L, dim]
  const at::Tensor buckets = umt5_relative_position_buckets(length, length, config_.num_buckets,
                                                            config_.max_dist, options_.device);
  const at::Tensor padding = key_is_padding.view({batch, 1, 1, length});
  const double lowest = lowest_value(x.scalar_type());
  const at::ScalarType softmax_dtype =
      is_reduced_precision(x.scalar_type()) ? at::kFloat : x.scalar_type();

  for (const Block& block : blocks_) {
    // [1, heads, L, L] from this layer's own table, then padded keys at the dtype's lowest
    // value (filled, not added, as the reference does): [B, heads, L, L].
    const at::Tensor position = at::embedding(block.position_bias, buckets).permute({2, 0, 1});
    const at::Tensor bias =
        position.unsqueeze(0).expand({batch, heads, length, length}).masked_fill(padding, lowest);

    const at::Tensor h = rms_norm(x, block.norm1, config_.eps);
    const at::Tensor q =
        at::linear(h, block.q).view({batch, length, heads, head_dim}).transpose(1, 2);
    const at::Tensor k =
        at::linear(h, block.k).view({batch, length, heads, head_dim}).transpose(1, 2);
    const at::Tensor v =
        at::linear(h, block.v).view({batch, length, heads, head_dim}).transpose(1, 2);
    // T5 does not scale the logits by 1/sqrt(head_dim). [B, heads, L, L]
    const at::Tensor logits = at::matmul(q, k.transpose(-2, -1)) + bias;
    const at::Tensor weights = at::softmax(logits.to(softmax_dtype), -1).to(logits.scalar_type());
    const at::Tensor attended =
        at::matmul(weights, v).transpose(1, 2).reshape({batch, length, heads * head_dim});
    x = clamp_float16(x + at::linear(attended, block.o));

    const at::Tensor f = rms_norm(x, block.norm2, config_.eps);
    x = clamp_float16(
        x + at::linear(at::linear(f, block.fc1) * gelu_tanh(at::linear(f, block.gate)), block.fc2));
  }
  return rms_norm(x, norm_, config_.eps);  // [B, L, dim]
}

}  // namespace motionfarm::model
