// Ring attention: the keys and values of a sequence split over a ring of ranks are passed around
// the ring, each rank attending its queries to one block at a time while the next block is in
// flight, and the partial results merged by log-sum-exp in fp32.
#pragma once

#include <ATen/ATen.h>

#include "parallel/communicator.h"
#include "parallel/mappings.h"

namespace motionfarm::parallel {

// Softmax attention over one block of keys, with the log-sum-exp that lets blocks be merged.
struct AttentionPartial {
  at::Tensor out;  // [B, Lq, H, D] fp32, normalised within the block
  at::Tensor lse;  // [B, H, Lq] fp32: log Σ_k exp(q·k·scale) over the block's valid keys
};

// Rank-local. q [B, Lq, H, D], k/v [B, Lk, H, D]; only the first `valid_keys` keys count (the
// rest are sequence padding). valid_keys must be ≥ 1.
AttentionPartial attention_block_with_lse(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, int64_t valid_keys);

// Folds `block` into `accumulated` (both fp32): the result is attention over the union of keys.
void merge_attention_partials(AttentionPartial& accumulated, const AttentionPartial& block);

// Collective over `ring` (every rank, same shapes). q [B, Lq, H, D] are this rank's queries;
// k, v [B, Lk, H, D] this rank's block of the keys, which is block `ring.rank()` of `key_blocks`
// (key_blocks.parts == ring.size(); padding keys past key_blocks.total_tokens are masked).
// Returns attention of q over all keys of the ring, [B, Lq, H, D] in q's dtype.
at::Tensor ring_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const SequenceShard& key_blocks, Communicator& ring);

}  // namespace motionfarm::parallel
