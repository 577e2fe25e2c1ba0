// The diffusion timestep's embedding: sinusoid, time_embedding MLP and time_projection.
//
// Computed per token when timesteps differ across tokens (Wan2.2 TI2V's clean first frame, segment
// extension) and once per sample when they do not, then broadcast: both give the reference's
// values.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "model/dit_layers.h"

namespace motionfarm::model {

// [N] timesteps -> [N, freq_dim] float64: [cos | sin] of t * 10000^(-i / (freq_dim/2)),
// i = 0 .. freq_dim/2 - 1, computed in float64 as the reference does.
at::Tensor sinusoidal_embedding(const at::Tensor& timesteps, int64_t freq_dim);

struct TimeEmbeddingWeights {
  LinearWeights fc1;         // time_embedding.0: freq_dim -> dim (then SiLU)
  LinearWeights fc2;         // time_embedding.2: dim -> dim
  LinearWeights projection;  // time_projection.1: SiLU first, then dim -> 6 dim
};

struct TimeEmbedding {
  at::Tensor e;   // [B, T, dim] float32: the head's modulation input (T = 1 or the token count)
  at::Tensor e0;  // [B, T, 6, dim] float32: every block's modulation input
};

// timesteps [B, T] (T = 1: one timestep per sample, broadcast over its tokens). Runs in float32.
TimeEmbedding embed_timesteps(const TimeEmbeddingWeights& weights, const at::Tensor& timesteps,
                              int64_t freq_dim);

// [B] or [B, T>=tokens] timesteps -> [B, 1] when every token of each sample shares its timestep
// (the common case, computed once), else [B, tokens] (entries past `tokens` are padding, as in
// Wan2.2's [B, seq_len], and dropped). Throws ModelError for any other shape.
at::Tensor timesteps_per_token(const at::Tensor& timesteps, int64_t batch, int64_t tokens);

}  // namespace motionfarm::model
