// The umT5 text encoder of Wan2.1/Wan2.2 (the reference's T5Encoder with shared_pos false):
// token embedding, then per layer RMSNorm -> self-attention with the layer's own bucketed relative
// position bias and no 1/sqrt(d) scaling -> residual, RMSNorm -> gated-GELU (tanh) FFN ->
// residual, and a final RMSNorm.
//
// Weights load from the native Wan names or the Hugging Face UMT5EncoderModel names (see
// encoder_checkpoint.h). Inference only; holds its weights, cheap to copy (tensors are shared).
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "io/safetensors_checkpoint.h"
#include "model/encoder_checkpoint.h"
#include "model/umt5_config.h"

namespace motionfarm::model {

class Umt5Encoder {
 public:
  // Reads every tensor of `config`'s architecture from `checkpoint` (either naming), converted to
  // `options`. Throws ModelError naming the file and tensor when one is missing or has another
  // shape, or when the checkpoint has more layers than the config.
  static Umt5Encoder load(const io::SafetensorsCheckpoint& checkpoint, const Umt5Config& config,
                          const EncoderLoadOptions& options = {});

  // ids [B, L] token ids (any integer dtype, or floats holding integers), mask [B, L] (nonzero =
  // real token; keys where it is zero are never attended to) -> [B, L, dim] in the weights'
  // dtype. Padding positions are computed too, as the reference does; their values are not
  // meaningful. Throws ModelError for an id outside the vocabulary.
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask) const;

  // [L, dim]: the states of one prompt's real tokens (ids [L], all attended to). Equals
  // forward() on the prompt padded to any length, restricted to its first L rows, because padded
  // keys get exactly zero attention weight; it just skips the padding's work.
  at::Tensor encode_tokens(const at::Tensor& ids) const;

  const Umt5Config& config() const { return config_; }
  const EncoderLoadOptions& options() const { return options_; }

 private:
  struct Block {
    at::Tensor norm1;          // [dim]
    at::Tensor q, k, v;        // [dim_attn, dim]
    at::Tensor o;              // [dim, dim_attn]
    at::Tensor position_bias;  // [num_buckets, num_heads]
    at::Tensor norm2;          // [dim]
    at::Tensor gate;           // [dim_ffn, dim], through GELU
    at::Tensor fc1;            // [dim_ffn, dim], linear branch
    at::Tensor fc2;            // [dim, dim_ffn]
  };

  Umt5Encoder(Umt5Config config, EncoderLoadOptions options) : config_(config), options_(options) {}

  // ids [B, L] int64 on the device, key_is_padding [B, L] bool -> [B, L, dim].
  at::Tensor run(const at::Tensor& ids, const at::Tensor& key_is_padding) const;

  Umt5Config config_;
  EncoderLoadOptions options_;
  at::Tensor token_embedding_;  // [vocab, dim]
  std::vector<Block> blocks_;
  at::Tensor norm_;  // [dim]
};

// The bidirectional relative-position bucket of every (query, key) pair: [lq, lk] int64 on
// `device`, as the reference's T5RelativeEmbedding._relative_position_bucket computes it (the
// sign in the upper half of the buckets, then exact distances below num_buckets / 4 and
// log-spaced ones up to max_dist).
at::Tensor umt5_relative_position_buckets(int64_t lq, int64_t lk, int64_t num_buckets,
                                          int64_t max_dist, at::Device device);

}  // namespace motionfarm::model
