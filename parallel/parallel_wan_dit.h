// The Wan DiT forward split over one model group: tensor parallel (Megatron: q/k/v and ffn-in
// column-parallel, o and ffn-out row-parallel, q/k RMSNorm statistics all-reduced) and sequence
// parallel (Ulysses all-to-all, ring attention, or both) — the plain model::WanDiT plus the named
// collectives of mappings.h, ring_attention.h and tensor_parallel.h.
//
// Embeddings, the head and unpatchify run replicated on every rank from the full model's weights;
// each rank keeps only its tensor-parallel slices of the blocks (sliced from the full weights,
// which on the CPU are zero-copy views of the safetensors mapping, so only the slices are read).
// Tokens are split ring-major over ulysses × ring ranks, padded at the end; the padding is never
// attended as a key and is dropped when the output is gathered.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "model/wan_dit.h"
#include "parallel/communicator.h"
#include "parallel/mappings.h"

namespace motionfarm::parallel {

// The communicators of one group that a DiT forward uses (borrowed; any may be size 1).
struct DiTGroupComms {
  Communicator* tp = nullptr;
  Communicator* ulysses = nullptr;
  Communicator* ring = nullptr;
  // ulysses × ring, ranked ring-major (ring_rank · ulysses + ulysses_rank), as Topology builds it.
  Communicator* sequence = nullptr;
};

class ParallelWanDiT {
 public:
  // Collective-free. Throws ConfigError when the group does not divide the model (heads, dim,
  // ffn) — the same rules as validate_layout. `full` must outlive this object.
  ParallelWanDiT(const model::WanDiT& full, DiTGroupComms comms);

  // Collective over tp × ulysses × ring: every rank of the group calls it with the same inputs and
  // gets the same [B, out_dim, F, H, W] float32 result.
  at::Tensor forward(const model::DiTInputs& inputs) const;

  const model::WanDiTConfig& config() const { return full_.config(); }

 private:
  at::Tensor run_block(const model::BlockWeights& weights, const at::Tensor& x,
                       const model::BlockInputs& inputs) const;
  at::Tensor self_attention(const model::AttentionWeights& weights, const at::Tensor& x,
                            const model::RotaryTable& rope) const;
  at::Tensor cross_attention(const model::AttentionWeights& weights, const at::Tensor& x,
                             const model::BlockInputs& inputs) const;
  at::Tensor feed_forward(const model::BlockWeights& weights, const at::Tensor& x) const;
  // Attention over the whole sequence for this rank's heads: q/k/v [B, Ls, h, d] (local tokens).
  at::Tensor sequence_attention(const at::Tensor& q, const at::Tensor& k,
                                const at::Tensor& v) const;
  at::Tensor qk_norm(const at::Tensor& x, const at::Tensor& weight_shard) const;

  const model::WanDiT& full_;
  DiTGroupComms comms_;
  int tp_size_ = 1;
  std::vector<model::BlockWeights> block_shards_;  // this rank's tensor-parallel slices
  // Set per forward (the token count is only known then); forward is not re-entrant.
  mutable SequenceShard shard_;
};

}  // namespace motionfarm::parallel
