#include "model/clip_vision_encoder.h"

#include <ATen/core/grad_mode.h>

#include <cmath>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {

ClipVisionEncoder ClipVisionEncoder::load(const io::SafetensorsCheckpoint& checkpoint,
                                          const ClipVisionConfig& config,
                                          const EncoderLoadOptions& options) {
  config.validate();
  options.validate();
  const EncoderCheckpoint source(checkpoint, EncoderKind::kClipVision);
  ClipVisionEncoder encoder(config, options);
  const int64_t dim = config.dim;
  const int64_t mlp = config.mlp_dim();
  const int64_t patch = config.patch_size;
  const auto norm = [&](const std::string& name) {
    return LayerNormWeights{source.weight(name + ".weight", {dim}, options),
                            source.weight(name + ".bias", {dim}, options)};
  };

  encoder.patch_weight_ = source.weight("patch_embedding.weight", {dim, 3, patch, patch}, options);
  // The reference's patch conv has a bias only when there is no pre-norm.
  if (!config.pre_norm) encoder.patch_bias_ = source.weight("patch_embedding.bias", {dim}, options);
  if (config.has_class_token()) {
    encoder.class_token_ = source.weight("cls_embedding", {1, 1, dim}, options);
  }
  encoder.position_ = source.weight("pos_embedding", {1, config.tokens(), dim}, options);
  if (config.pre_norm) encoder.pre_norm_ = norm("pre_norm");
  for (int64_t i = 0; i < config.blocks_used(); ++i) {
    const std::string p = "transformer." + std::to_string(i) + ".";
    Block block;
    block.norm1 = norm(p + "norm1");
    block.qkv_weight = source.weight(p + "attn.to_qkv.weight", {3 * dim, dim}, options);
    block.qkv_bias = source.weight(p + "attn.to_qkv.bias", {3 * dim}, options);
    block.proj_weight = source.weight(p + "attn.proj.weight", {dim, dim}, options);
    block.proj_bias = source.weight(p + "attn.proj.bias", {dim}, options);
    block.norm2 = norm(p + "norm2");
    block.fc1_weight = source.weight(p + "mlp.0.weight", {mlp, dim}, options);
    block.fc1_bias = source.weight(p + "mlp.0.bias", {mlp}, options);
    block.fc2_weight = source.weight(p + "mlp.2.weight", {dim, mlp}, options);
    block.fc2_bias = source.weight(p + "mlp.2.bias", {dim}, options);
    encoder.blocks_.push_back(std::move(block));
  }
  const std::string extra = "transformer." + std::to_string(config.num_layers) + ".norm1.weight";
  MF_CHECK(!source.contains(extra), ModelError,
           checkpoint.path() << " has more than the config's " << config.num_layers
                             << " CLIP vision layers: the config does not describe these weights");
  return encoder;
}

at::Tensor ClipVisionEncoder::encode(const at::Tensor& pixels) const {
  return forward_tower(preprocess(pixels));
}

at::Tensor ClipVisionEncoder::preprocess(const at::Tensor& pixels) const {
  MF_CHECK(pixels.dim() == 4 && pixels.size(1) == 3, ModelError,
           "CLIP pixels must be [images, 3, height, width], got " << pixels.sizes());
  at::NoGradGuard no_grad;
  const at::Tensor x = pixels.to(options_.device, at::kFloat);
  const int64_t size = config_.image_size;
  // F.interpolate(mode='bicubic', align_corners=False) with an explicit size: no scale factors.
  const at::Tensor resized =
      at::upsample_bicubic2d(x, {size, size}, /*align_corners=*/false, c10::nullopt, c10::nullopt);
  const auto channel_options = at::TensorOptions().dtype(at::kFloat).device(options_.device);
  const at::Tensor mean =
      at::tensor(std::vector<float>(config_.mean.begin(), config_.mean.end()), channel_options)
          .view({1, 3, 1, 1});
  const at::Tensor std =
      at::tensor(std::vector<float>(config_.std.begin(), config_.std.end()), channel_options)
          .view({1, 3, 1, 1});
  return (resized * 0.5 + 0.5 - mean) / std;
}

at::Tensor ClipVisionEncoder::forward_tower(const at::Tensor& normalized) const {
  const int64_t size = config_.image_size;
  MF_CHECK(normalized.dim() == 4 && normalized.size(1) == 3 && normalized.size(2) == size &&
               normalized.size(3) == size,
           ModelError,
           "the CLIP tower takes [images, 3, " << size << ", " << size << "], got "
                                               << normalized.sizes());
  at::NoGradGuard no_grad;
  const int64_t images = normalized.size(0);
  const at::Tensor input = normalized.to(options_.device, options_.dtype);
  // [N, dim, grid, grid] -> [N, grid * grid, dim]
  at::Tensor x =
      at::conv2d(input, patch_weight_, patch_bias_, {config_.patch_size, config_.patch_size})
          .flatten(2)
          .permute({0, 2, 1});
  if (config_.has_class_token()) {
    x = at::cat({class_token_.expand({images, -1, -1}), x}, 1);  // [N, tokens, dim]
  }
  x = x + position_;
  if (config_.pre_norm) x = layer_norm(x, pre_norm_);
  for (const Block& block : blocks_) {
    if (config_.post_norm) {
      x = x + layer_norm(attention(x, block), block.norm1);
      x = x + layer_norm(mlp(x, block), block.norm2);
    } else {
      x = x + attention(layer_norm(x, block.norm1), block);
      x = x + mlp(layer_norm(x, block.norm2), block);
    }
  }
  return x;
}

// The reference's LayerNorm computes in float32 and casts back to the input's dtype.
at::Tensor ClipVisionEncoder::layer_norm(const at::Tensor& x, const LayerNormWeights& norm) const {
  return at::layer_norm(x.to(at::kFloat), {config_.dim}, norm.weight.to(at::kFloat),
                        norm.bias.to(at::kFloat), config_.norm_eps)
      .to(x.scalar_type());
}

at::Tensor ClipVisionEncoder::attention(const at::Tensor& x, const Block& block) const {
  const int64_t images = x.size(0);
  const int64_t length = x.size(1);
  const int64_t heads = config_.num_heads;
  const int64_t head_dim = config_.dim / heads;
  // [N, S, 3, heads, head_dim] -> three [N, heads, S, head_dim]
  const at::Tensor qkv = at::linear(x, block.qkv_weight, block.qkv_bias)
                             .view({images, length, 3, heads, head_dim})
                             .permute({2, 0, 3, 1, 4});
  const at::Tensor q = qkv[0];
  const at::Tensor k = qkv[1];
  const at::Tensor v = qkv[2];
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  // Softmax in float32 at least, as flash attention accumulates.
  const at::ScalarType softmax_dtype = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const at::Tensor logits = at::matmul(q, k.transpose(-2, -1)).to(softmax_dtype) * scale;
  const at::Tensor weights = at::softmax(logits, -1).to(x.scalar_type());
  const at::Tensor attended =
      at::matmul(weights, v).transpose(1, 2).reshape({images, length, config_.dim});
  return at::linear(attended, block.proj_weight, block.proj_bias);
}

at::Tensor ClipVisionEncoder::mlp(const at::Tensor& x, const Block& block) const {
  at::Tensor h = at::linear(x, block.fc1_weight, block.fc1_bias);
  h = config_.activation == "quick_gelu" ? h * at::sigmoid(1.702 * h) : at::gelu(h);
  return at::linear(h, block.fc2_weight, block.fc2_bias);
}

}  // namespace motionfarm::model
