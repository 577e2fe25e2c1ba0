// The Wan diffusion transformer's forward pass (Wan2.1 and Wan2.2 `WanModel`), over weights loaded
// by WanDiTWeights.
//
// forward() = prepare() (patch, time, text and image embeddings, RoPE table) -> run_block() per
// block -> head() -> unpatchify(). The stages are public so sequence-parallel code can prepare
// once, shard the tokens (and per-token e0 / RoPE rows) and run the blocks on its shard.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

#include "model/rope.h"
#include "model/wan_dit_block.h"
#include "model/wan_dit_config.h"
#include "model/wan_dit_weights.h"

namespace motionfarm::model {

struct DiTInputs {
  at::Tensor x;  // [B, C, F, H, W] noisy latent (C = out_dim; in_dim - C for i2v/flf2v)
  // [B] one timestep per sample (Wan2.1), or [B, N >= tokens] one per token in (frame, row,
  // column) order after patching (Wan2.2 TI2V passes N = seq_len; entries past the tokens are
  // padding and ignored).
  at::Tensor t;
  // [B, Lt <= text_len, text_dim] text encoder states. Zero-padded to text_len before embedding and
  // the padding attended, as the reference does; pass shorter prompts zero-padded or unpadded.
  at::Tensor context;
  c10::optional<at::Tensor>
      clip_fea;                 // i2v: [B, 257, 1280]; flf2v: [B, 514, 1280] or [2B, 257, 1280]
  c10::optional<at::Tensor> y;  // i2v/flf2v: [B, in_dim - C, F, H, W] conditioning latent
};

// Everything the blocks read, computed once per forward.
struct DiTPrepared {
  at::Tensor tokens;  // [B, L, dim] float32: the residual stream entering block 0
  TokenGrid grid;
  at::Tensor e;  // [B, T, dim] float32 (T = 1 or L): the head's modulation input
  BlockInputs block_inputs;
};

class WanDiT {
 public:
  // Throws ModelError when `weights` was not built for `config`.
  WanDiT(WanDiTConfig config, WanDiTWeights weights);

  // Returns [B, out_dim, F, H, W] float32. Throws ModelError for inputs that do not fit.
  at::Tensor forward(const DiTInputs& inputs) const;

  DiTPrepared prepare(const DiTInputs& inputs) const;
  at::Tensor run_block(int64_t index, const at::Tensor& tokens, const BlockInputs& inputs) const;
  // tokens [B, L, dim], e [B, T, dim] -> [B, L, prod(patch) * out_dim] float32.
  at::Tensor head(const at::Tensor& tokens, const at::Tensor& e) const;
  // [B, L, prod(patch) * out_dim] -> [B, out_dim, F, H, W].
  at::Tensor unpatchify(const at::Tensor& patches, const TokenGrid& grid) const;

  const WanDiTConfig& config() const { return config_; }
  const WanDiTWeights& weights() const { return weights_; }

 private:
  at::Tensor embed_patches(const DiTInputs& inputs, TokenGrid& grid) const;
  at::Tensor embed_text(const at::Tensor& context, int64_t batch) const;
  at::Tensor embed_image(const at::Tensor& clip_fea, int64_t batch) const;

  WanDiTConfig config_;
  WanDiTWeights weights_;
};

}  // namespace motionfarm::model
