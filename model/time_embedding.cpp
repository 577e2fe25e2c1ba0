#include "model/time_embedding.h"

#include "core/check.h"

namespace motionfarm::model {

at::Tensor sinusoidal_embedding(const at::Tensor& timesteps, int64_t freq_dim) {
  MF_CHECK(freq_dim > 0 && freq_dim % 2 == 0, ModelError,
           "freq_dim must be positive and even, got " << freq_dim);
  const int64_t half = freq_dim / 2;
  const at::Tensor position = timesteps.reshape({-1}).to(at::kDouble);
  const at::Tensor exponents = at::arange(half, position.options()).div(static_cast<double>(half));
  const at::Tensor angles = at::outer(position, at::pow(10000.0, -exponents));
  return at::cat({angles.cos(), angles.sin()}, 1);
}

TimeEmbedding embed_timesteps(const TimeEmbeddingWeights& weights, const at::Tensor& timesteps,
                              int64_t freq_dim) {
  MF_CHECK(timesteps.dim() == 2, ModelError, "timesteps must be [B, T], got " << timesteps.sizes());
  const int64_t batch = timesteps.size(0);
  const int64_t count = timesteps.size(1);
  const at::Tensor sinusoid = sinusoidal_embedding(timesteps, freq_dim).to(at::kFloat);
  const at::Tensor e = linear(at::silu(linear(sinusoid, weights.fc1)), weights.fc2).to(at::kFloat);
  const at::Tensor e0 = linear(at::silu(e), weights.projection).to(at::kFloat);
  const int64_t dim = e.size(-1);
  return TimeEmbedding{e.view({batch, count, dim}), e0.view({batch, count, 6, dim})};
}

at::Tensor timesteps_per_token(const at::Tensor& timesteps, int64_t batch, int64_t tokens) {
  at::Tensor t = timesteps;
  if (t.dim() == 0) t = t.view({1});
  if (t.dim() == 1) {
    MF_CHECK(
        t.size(0) == batch || t.size(0) == 1, ModelError,
        "timesteps [" << t.size(0) << "] must hold one value per sample (batch " << batch << ")");
    return t.expand({batch}).reshape({batch, 1});
  }
  MF_CHECK(t.dim() == 2 && (t.size(0) == batch || t.size(0) == 1), ModelError,
           "timesteps must be [B] or [B, tokens] with B = " << batch << ", got " << t.sizes());
  MF_CHECK_GE(t.size(1), tokens, ModelError,
              "per-token timesteps must cover every token (pass [B, tokens] or [B, seq_len])");
  t = t.expand({batch, t.size(1)}).narrow(1, 0, tokens);
  // One value per sample is the common case: embed it once instead of once per token.
  if (at::equal(t, t.narrow(1, 0, 1).expand_as(t))) return t.narrow(1, 0, 1).contiguous();
  return t.contiguous();
}

}  // namespace motionfarm::model
