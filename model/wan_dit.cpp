#include "model/wan_dit.h"

#include <utility>

#include "core/check.h"
#include "model/dit_layers.h"
#include "model/parameter_specs.h"
#include "model/time_embedding.h"

namespace motionfarm::model {
namespace {

// MLPProj's LayerNorms are torch.nn.LayerNorm with its default eps, not the config's.
constexpr double kImageNormEps = 1e-5;

}  // namespace

WanDiT::WanDiT(WanDiTConfig config, WanDiTWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)) {
  config_.validate();
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config_)) {
    const auto found = weights_.tensors().find(spec.name);
    MF_CHECK(found != weights_.tensors().end() && found->second.sizes().vec() == spec.shape,
             ModelError,
             "the weights were built for another config: '" << spec.name << "' is missing or "
                                                            << "mis-shaped");
  }
  MF_CHECK_EQ(static_cast<int64_t>(weights_.tensors().size()),
              static_cast<int64_t>(wan_dit_parameter_specs(config_).size()), ModelError,
              "the weights were built for another config (tensor count differs)");
}

at::Tensor WanDiT::forward(const DiTInputs& inputs) const {
  const DiTPrepared prepared = prepare(inputs);
  at::Tensor tokens = prepared.tokens;
  for (int64_t index = 0; index < config_.num_layers; ++index) {
    tokens = run_block(index, tokens, prepared.block_inputs);
  }
  return unpatchify(head(tokens, prepared.e), prepared.grid);
}

DiTPrepared WanDiT::prepare(const DiTInputs& inputs) const {
  MF_CHECK(inputs.x.defined() && inputs.x.dim() == 5, ModelError,
           "x must be [B, C, F, H, W], got "
               << (inputs.x.defined() ? inputs.x.sizes() : at::IntArrayRef{}));
  const int64_t batch = inputs.x.size(0);
  DiTPrepared prepared;
  prepared.tokens = embed_patches(inputs, prepared.grid);  // [B, L, dim] float32
  const int64_t tokens = prepared.grid.tokens();

  MF_CHECK(inputs.t.defined(), ModelError, "the timestep t is required");
  const at::Tensor t = timesteps_per_token(inputs.t.to(inputs.x.device()), batch, tokens);
  const TimeEmbedding time = embed_timesteps(weights_.embeddings().time, t, config_.freq_dim);
  prepared.e = time.e;

  BlockInputs& block = prepared.block_inputs;
  block.e0 = time.e0;
  block.rope = make_rotary_table(config_.head_dim(), prepared.grid, inputs.x.device());
  block.context = embed_text(inputs.context, batch);
  if (config_.has_image_branch()) {
    MF_CHECK(inputs.clip_fea.has_value(), ModelError,
             config_.model_type << " needs clip_fea (CLIP image features)");
    block.image_context = embed_image(*inputs.clip_fea, batch);
  } else {
    MF_CHECK(!inputs.clip_fea.has_value(), ModelError,
             config_.model_type << " has no image branch; clip_fea must not be given");
  }
  return prepared;
}

at::Tensor WanDiT::embed_patches(const DiTInputs& inputs, TokenGrid& grid) const {
  at::Tensor x = inputs.x;
  if (config_.takes_conditioning_latent()) {
    MF_CHECK(inputs.y.has_value(), ModelError,
             config_.model_type << " needs y (the conditioning latent)");
  }
  if (inputs.y.has_value()) {
    const at::Tensor& y = *inputs.y;
    MF_CHECK(y.dim() == 5 && y.size(0) == x.size(0) && y.sizes().slice(2) == x.sizes().slice(2),
             ModelError, "y " << y.sizes() << " must match x " << x.sizes() << " but in channels");
    x = at::cat({x, y.to(x.scalar_type())}, 1);
  }
  MF_CHECK_EQ(x.size(1), config_.in_dim, ModelError,
              "input channels (x plus y) must equal the model's in_dim");
  const auto& p = config_.patch_size;
  MF_CHECK(x.size(2) % p[0] == 0 && x.size(3) % p[1] == 0 && x.size(4) % p[2] == 0, ModelError,
           "latent size " << x.size(2) << "x" << x.size(3) << "x" << x.size(4)
                          << " must be divisible by the patch size " << p[0] << "x" << p[1] << "x"
                          << p[2]);
  const EmbeddingWeights& weights = weights_.embeddings();
  // [B, dim, f, h, w]: a Conv3d whose stride equals its kernel, one output per patch.
  const at::Tensor patches = at::conv3d(x.to(weights.patch_weight.scalar_type()),
                                        weights.patch_weight, weights.patch_bias, p, {0, 0, 0});
  grid = TokenGrid{patches.size(2), patches.size(3), patches.size(4)};
  // [B, L, dim], tokens in (frame, row, column) order.
  return patches.flatten(2).transpose(1, 2).to(at::kFloat).contiguous();
}

at::Tensor WanDiT::embed_text(const at::Tensor& context, int64_t batch) const {
  MF_CHECK(context.defined() && context.dim() == 3 && context.size(0) == batch &&
               context.size(2) == config_.text_dim,
           ModelError,
           "context must be [B = " << batch << ", Lt, text_dim = " << config_.text_dim << "], got "
                                   << (context.defined() ? context.sizes() : at::IntArrayRef{}));
  MF_CHECK_LE(context.size(1), config_.text_len, ModelError,
              "the text context is longer than the model's text_len");
  // Zero-pad to text_len before embedding: the embedded padding is attended like any token.
  const at::Tensor padded =
      at::constant_pad_nd(context, {0, 0, 0, config_.text_len - context.size(1)}, 0.0);
  const EmbeddingWeights& weights = weights_.embeddings();
  return linear(gelu_tanh(linear(padded, weights.text_fc1)), weights.text_fc2);
}

at::Tensor WanDiT::embed_image(const at::Tensor& clip_fea, int64_t batch) const {
  MF_CHECK(clip_fea.dim() == 3 && clip_fea.size(2) == kClipFeatureDim, ModelError,
           "clip_fea must be [B, tokens, " << kClipFeatureDim << "], got " << clip_fea.sizes());
  MF_CHECK_EQ(clip_fea.numel() % (batch * kClipFeatureDim), 0, ModelError,
              "clip_fea does not split evenly over the batch");
  const ImageEmbeddingWeights& weights = weights_.image_embedding();
  // flf2v passes both frames' features as [2B, 257, 1280]; the reference views them as one
  // [B, 514, 1280] sequence before adding the position table.
  at::Tensor features = clip_fea.reshape({batch, -1, kClipFeatureDim}).to(at::kFloat);
  if (weights.position.defined()) {
    MF_CHECK_EQ(features.size(1), weights.position.size(1), ModelError,
                "flf2v takes the CLIP tokens of two images");
    features = features + weights.position;
  }
  const at::Tensor hidden = gelu_exact(
      linear(layer_norm_fp32(features, kImageNormEps, weights.norm_in_weight, weights.norm_in_bias),
             weights.fc1));
  const at::Tensor out = layer_norm_fp32(linear(hidden, weights.fc2), kImageNormEps,
                                         weights.norm_out_weight, weights.norm_out_bias);
  // The reference splits [image | text] context at context.shape[1] - 512; keeping the two apart
  // is the same split for real checkpoints (text_len 512) and also right for other text_len.
  return out.to(weights.fc2.weight.scalar_type());
}

at::Tensor WanDiT::run_block(int64_t index, const at::Tensor& tokens,
                             const BlockInputs& inputs) const {
  return model::run_block(weights_.block(index), tokens, inputs, config_);
}

at::Tensor WanDiT::head(const at::Tensor& tokens, const at::Tensor& e) const {
  const HeadWeights& weights = weights_.head();
  // [1, 1, 2, dim] + [B, T, 1, dim] -> shift, scale [B, T, dim], float32.
  const at::Tensor m =
      weights.modulation.to(at::kFloat).unsqueeze(0) + e.to(at::kFloat).unsqueeze(2);
  const at::Tensor normed =
      modulate(layer_norm_fp32(tokens, config_.eps), m.select(2, 0), m.select(2, 1));
  return linear(normed, weights.out).to(at::kFloat);
}

at::Tensor WanDiT::unpatchify(const at::Tensor& patches, const TokenGrid& grid) const {
  const auto& p = config_.patch_size;
  const int64_t c = config_.out_dim;
  MF_CHECK(patches.dim() == 3 && patches.size(1) == grid.tokens() &&
               patches.size(2) == config_.patch_volume() * c,
           ModelError, "head output " << patches.sizes() << " does not fit the token grid");
  const int64_t batch = patches.size(0);
  // [B, f, h, w, pt, ph, pw, c] -> [B, c, f, pt, h, ph, w, pw] (the reference's
  // einsum 'fhwpqrc->cfphqwr') -> [B, c, F, H, W].
  return patches.view({batch, grid.frames, grid.rows, grid.columns, p[0], p[1], p[2], c})
      .permute({0, 7, 1, 4, 2, 5, 3, 6})
      .reshape({batch, c, grid.frames * p[0], grid.rows * p[1], grid.columns * p[2]});
}

}  // namespace motionfarm::model
