// The communication of tensor and sequence parallelism, as small named functions (in the manner
// of Megatron's mappings.py). Model code calls these by name and otherwise reads like the
// single-device model.
//
// Every function is a collective over the communicator it takes: every rank of it calls the
// function, in the same order, with tensors of the same shape (except where a shard is named).
#pragma once

#include <ATen/ATen.h>

#include "parallel/communicator.h"

namespace motionfarm::parallel {

// Where this rank's tokens lie in a sequence split over `parts` ranks. The sequence is padded at
// its end to a multiple of `parts`; the padding sits on the last shards and is masked as keys.
struct SequenceShard {
  int64_t total_tokens = 0;  // real tokens in the whole sequence
  int64_t shard_tokens = 0;  // tokens per shard, padding included (ceil(total / parts))
  int64_t shard_index = 0;   // this rank's shard
  int64_t parts = 1;

  static SequenceShard make(int64_t total_tokens, int64_t parts, int64_t shard_index);
  int64_t padded_tokens() const { return shard_tokens * parts; }
  int64_t begin() const { return shard_index * shard_tokens; }
  // Real (unpadded) tokens in shard `index`.
  int64_t valid_tokens_in(int64_t index) const;
  int64_t valid_tokens() const { return valid_tokens_in(shard_index); }
};

// Rank-local, no communication: this rank's shard of `x` [B, L, ...] along dim 1, zero-padded.
at::Tensor scatter_to_sequence_shard(const at::Tensor& x, const SequenceShard& shard);

// Collective: concatenates every rank's shard [B, Ls, ...] along dim 1 in rank order and drops the
// padding: [B, total_tokens, ...].
at::Tensor gather_from_sequence_shards(const at::Tensor& x, const SequenceShard& shard,
                                       Communicator& comm);

// Collective (Ulysses): [N, B, Ls, H, D] — N stacked tensors (q, k, v packed into one message),
// this rank's sequence shard, all heads — to [N, B, P·Ls, H/P, D]: the whole (padded) sequence,
// this rank's H/P heads. One all-to-all for all N tensors.
at::Tensor all_to_all_sequence_to_heads(const at::Tensor& packed, Communicator& comm);

// Collective (Ulysses), the inverse: [B, P·Ls, H/P, D] → [B, Ls, H, D].
at::Tensor all_to_all_heads_to_sequence(const at::Tensor& x, Communicator& comm);

// Collective (tensor parallel): sums the partial results of a row-parallel layer in place.
void reduce_from_tensor_parallel(at::Tensor& partial, Communicator& comm);

}  // namespace motionfarm::parallel
