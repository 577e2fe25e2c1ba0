#include "parallel/parallel_wan_dit.h"

#include "core/check.h"
#include "model/attention.h"
#include "model/dit_layers.h"
#include "parallel/ring_attention.h"
#include "parallel/tensor_parallel.h"

namespace motionfarm::parallel {

namespace {

int size_of(Communicator* comm) { return comm == nullptr ? 1 : comm->size(); }
int rank_of(Communicator* comm) { return comm == nullptr ? 0 : comm->rank(); }

model::LinearWeights column_shard(const model::LinearWeights& full, int rank, int parts) {
  return {shard_rows(full.weight, rank, parts), shard_rows(full.bias, rank, parts)};
}

// Row-parallel: the weight's input features are split; the bias is added once after the sum.
model::LinearWeights row_shard(const model::LinearWeights& full, int rank, int parts) {
  return {shard_columns(full.weight, rank, parts), full.bias};
}

at::Tensor maybe_shard(const at::Tensor& tensor, int rank, int parts) {
  return tensor.defined() ? shard_rows(tensor, rank, parts) : tensor;
}

model::AttentionWeights attention_shard(const model::AttentionWeights& full, int rank, int parts) {
  model::AttentionWeights shard;
  shard.q = column_shard(full.q, rank, parts);
  shard.k = column_shard(full.k, rank, parts);
  shard.v = column_shard(full.v, rank, parts);
  shard.o = row_shard(full.o, rank, parts);
  shard.norm_q = maybe_shard(full.norm_q, rank, parts);
  shard.norm_k = maybe_shard(full.norm_k, rank, parts);
  if (full.k_img.weight.defined()) {
    shard.k_img = column_shard(full.k_img, rank, parts);
    shard.v_img = column_shard(full.v_img, rank, parts);
    shard.norm_k_img = maybe_shard(full.norm_k_img, rank, parts);
  }
  return shard;
}

model::BlockWeights block_shard(const model::BlockWeights& full, int rank, int parts) {
  if (parts == 1) return full;
  model::BlockWeights shard;
  shard.modulation = full.modulation;
  shard.norm3_weight = full.norm3_weight;
  shard.norm3_bias = full.norm3_bias;
  shard.self_attn = attention_shard(full.self_attn, rank, parts);
  shard.cross_attn = attention_shard(full.cross_attn, rank, parts);
  shard.ffn_in = column_shard(full.ffn_in, rank, parts);
  shard.ffn_out = row_shard(full.ffn_out, rank, parts);
  return shard;
}

// [B, L, width] -> [B, L, width / head_dim, head_dim]
at::Tensor split_heads(const at::Tensor& x, int64_t head_dim) {
  return x.reshape({x.size(0), x.size(1), x.size(2) / head_dim, head_dim});
}

// The sequence shard's rows of a [B, T, ...] per-token tensor (T = 1 broadcasts: kept as is).
at::Tensor shard_tokens_of(const at::Tensor& per_token, const SequenceShard& shard) {
  if (!per_token.defined() || per_token.size(1) == 1) return per_token;
  return scatter_to_sequence_shard(per_token, shard);
}

// The shard's rows of the RoPE table; padding rows rotate by zero (cos 1, sin 0).
model::RotaryTable shard_rotary(const model::RotaryTable& table, const SequenceShard& shard) {
  const int64_t valid = shard.valid_tokens();
  model::RotaryTable rows;
  const auto row_shape = [&](int64_t count) {
    std::vector<int64_t> shape = table.cos.sizes().vec();
    shape[0] = count;
    return shape;
  };
  const int64_t padding = shard.shard_tokens - valid;
  std::vector<at::Tensor> cos_parts, sin_parts;
  if (valid > 0) {
    const model::RotaryTable real = table.slice(shard.begin(), valid);
    cos_parts.push_back(real.cos);
    sin_parts.push_back(real.sin);
  }
  if (padding > 0) {
    cos_parts.push_back(at::ones(row_shape(padding), table.cos.options()));
    sin_parts.push_back(at::zeros(row_shape(padding), table.sin.options()));
  }
  rows.cos = at::cat(cos_parts);
  rows.sin = at::cat(sin_parts);
  return rows;
}

}  // namespace

ParallelWanDiT::ParallelWanDiT(const model::WanDiT& full, DiTGroupComms comms)
    : full_(full), comms_(comms), tp_size_(size_of(comms.tp)) {
  const model::WanDiTConfig& config = full.config();
  const int ulysses = size_of(comms.ulysses);
  MF_CHECK_EQ(
      config.num_heads % (tp_size_ * ulysses), 0, ConfigError,
      config.num_heads << " heads do not split over tp " << tp_size_ << " × ulysses " << ulysses);
  MF_CHECK_EQ(config.ffn_dim % tp_size_, 0, ConfigError, "ffn dim does not split over tp");
  MF_CHECK_EQ(size_of(comms.sequence), ulysses * size_of(comms.ring), ConfigError,
              "the sequence communicator must span ulysses × ring");
  const int tp_rank = rank_of(comms.tp);
  block_shards_.reserve(static_cast<size_t>(config.num_layers));
  for (int64_t index = 0; index < config.num_layers; ++index) {
    block_shards_.push_back(block_shard(full.weights().block(index), tp_rank, tp_size_));
  }
}

at::Tensor ParallelWanDiT::forward(const model::DiTInputs& inputs) const {
  // Replicated on every rank: embeddings, time embedding, RoPE table (cheap next to the blocks).
  const model::DiTPrepared prepared = full_.prepare(inputs);
  shard_ = SequenceShard::make(prepared.grid.tokens(), size_of(comms_.sequence),
                               rank_of(comms_.sequence));

  model::BlockInputs local = prepared.block_inputs;
  local.e0 = shard_tokens_of(prepared.block_inputs.e0, shard_);
  local.rope = shard_rotary(prepared.block_inputs.rope, shard_);
  at::Tensor tokens = scatter_to_sequence_shard(prepared.tokens, shard_);  // [B, Ls, dim] fp32

  for (const model::BlockWeights& weights : block_shards_) {
    tokens = run_block(weights, tokens, local);
  }
  const at::Tensor patches = full_.head(tokens, shard_tokens_of(prepared.e, shard_));
  const at::Tensor all_patches =
      comms_.sequence == nullptr ? patches
                                 : gather_from_sequence_shards(patches, shard_, *comms_.sequence);
  return full_.unpatchify(all_patches, prepared.grid);
}

at::Tensor ParallelWanDiT::run_block(const model::BlockWeights& weights, const at::Tensor& x,
                                     const model::BlockInputs& inputs) const {
  // The same arithmetic as model::run_block, with this rank's tokens and weight slices.
  const model::WanDiTConfig& config = full_.config();
  const model::BlockModulation m = model::block_modulation(weights.modulation, inputs.e0);
  at::Tensor residual = x.to(at::kFloat);

  const at::Tensor attn_in =
      model::modulate(model::layer_norm_fp32(residual, config.eps), m.shift_msa, m.scale_msa);
  residual = residual +
             self_attention(weights.self_attn, attn_in, inputs.rope).to(at::kFloat) * m.gate_msa;

  const at::Tensor cross_in =
      weights.norm3_weight.defined()
          ? model::layer_norm_fp32(residual, config.eps, weights.norm3_weight, weights.norm3_bias)
          : residual;
  residual = residual + cross_attention(weights.cross_attn, cross_in, inputs).to(at::kFloat);

  const at::Tensor ffn_in =
      model::modulate(model::layer_norm_fp32(residual, config.eps), m.shift_mlp, m.scale_mlp);
  return residual + feed_forward(weights, ffn_in).to(at::kFloat) * m.gate_mlp;
}

at::Tensor ParallelWanDiT::qk_norm(const at::Tensor& x, const at::Tensor& weight_shard) const {
  if (!weight_shard.defined()) return x;
  if (tp_size_ == 1) return model::rms_norm(x, weight_shard, full_.config().eps);
  return tensor_parallel_rms_norm(x, weight_shard, full_.config().dim, full_.config().eps,
                                  *comms_.tp);
}

at::Tensor ParallelWanDiT::self_attention(const model::AttentionWeights& weights,
                                          const at::Tensor& x,
                                          const model::RotaryTable& rope) const {
  const int64_t head_dim = full_.config().head_dim();
  // Column-parallel projections: this rank's heads only.
  const at::Tensor q = split_heads(qk_norm(model::linear(x, weights.q), weights.norm_q), head_dim);
  const at::Tensor k = split_heads(qk_norm(model::linear(x, weights.k), weights.norm_k), head_dim);
  const at::Tensor v = split_heads(model::linear(x, weights.v), head_dim);
  // RoPE rows are the tokens' global positions (the table was sliced with the shard).
  const at::Tensor heads =
      sequence_attention(model::apply_rotary(q, rope), model::apply_rotary(k, rope), v);
  const at::Tensor flat = heads.reshape({heads.size(0), heads.size(1), -1});
  if (tp_size_ == 1) return model::linear(flat, weights.o);
  return row_parallel_linear(flat.to(weights.o.weight.scalar_type()), weights.o.weight,
                             weights.o.bias, *comms_.tp);
}

at::Tensor ParallelWanDiT::sequence_attention(const at::Tensor& q, const at::Tensor& k,
                                              const at::Tensor& v) const {
  const int ulysses = size_of(comms_.ulysses);
  const int ring = size_of(comms_.ring);
  if (ulysses == 1 && ring == 1) return model::attention(q, k, v);

  at::Tensor qs = q, ks = k, vs = v;
  if (ulysses > 1) {
    // One packed all-to-all for q, k and v: [3, B, Ls, h, d] -> [3, B, U·Ls, h/U, d].
    const at::Tensor qkv = all_to_all_sequence_to_heads(at::stack({q, k, v}), *comms_.ulysses);
    qs = qkv[0];
    ks = qkv[1];
    vs = qkv[2];
  }
  at::Tensor heads;
  if (ring > 1) {
    // Each ring rank now holds U consecutive shards: one key block of the ring.
    SequenceShard blocks;
    blocks.total_tokens = shard_.total_tokens;
    blocks.parts = ring;
    blocks.shard_tokens = shard_.shard_tokens * ulysses;
    blocks.shard_index = rank_of(comms_.ring);
    heads = ring_attention(qs, ks, vs, blocks, *comms_.ring);
  } else {
    // The whole padded sequence is here: keys past the real tokens are padding.
    const at::Tensor key_lengths = at::full({qs.size(0)}, shard_.total_tokens, at::kLong);
    heads = model::attention(qs, ks, vs, key_lengths);
  }
  return ulysses > 1 ? all_to_all_heads_to_sequence(heads.contiguous(), *comms_.ulysses) : heads;
}

at::Tensor ParallelWanDiT::cross_attention(const model::AttentionWeights& weights,
                                           const at::Tensor& x,
                                           const model::BlockInputs& inputs) const {
  // Queries are this rank's tokens; the text/image context is replicated: no communication but
  // the tensor-parallel reductions.
  const int64_t head_dim = full_.config().head_dim();
  const at::Tensor q = split_heads(qk_norm(model::linear(x, weights.q), weights.norm_q), head_dim);
  const at::Tensor text_k =
      split_heads(qk_norm(model::linear(inputs.context, weights.k), weights.norm_k), head_dim);
  const at::Tensor text_v = split_heads(model::linear(inputs.context, weights.v), head_dim);
  at::Tensor heads = model::attention(q, text_k, text_v);
  if (inputs.image_context.defined()) {
    const at::Tensor image_k = split_heads(
        qk_norm(model::linear(inputs.image_context, weights.k_img), weights.norm_k_img), head_dim);
    const at::Tensor image_v =
        split_heads(model::linear(inputs.image_context, weights.v_img), head_dim);
    heads = heads + model::attention(q, image_k, image_v);
  }
  const at::Tensor flat = heads.reshape({heads.size(0), heads.size(1), -1});
  if (tp_size_ == 1) return model::linear(flat, weights.o);
  return row_parallel_linear(flat.to(weights.o.weight.scalar_type()), weights.o.weight,
                             weights.o.bias, *comms_.tp);
}

at::Tensor ParallelWanDiT::feed_forward(const model::BlockWeights& weights,
                                        const at::Tensor& x) const {
  const at::Tensor hidden = model::gelu_tanh(model::linear(x, weights.ffn_in));
  if (tp_size_ == 1) return model::linear(hidden, weights.ffn_out);
  return row_parallel_linear(hidden.to(weights.ffn_out.weight.scalar_type()),
                             weights.ffn_out.weight, weights.ffn_out.bias, *comms_.tp);
}

}  // namespace motionfarm::parallel
