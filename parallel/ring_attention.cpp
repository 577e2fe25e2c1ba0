#include "parallel/ring_attention.h"

#include <cmath>
#include <limits>

#include "core/check.h"

namespace motionfarm::parallel {

AttentionPartial attention_block_with_lse(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, int64_t valid_keys) {
  MF_CHECK(valid_keys >= 1 && valid_keys <= k.size(1), Error,
           "a key block needs between 1 and " << k.size(1) << " valid keys, got " << valid_keys);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  at::Tensor qf = q.to(at::kFloat).permute({0, 2, 1, 3});                           // [B,H,Lq,D]
  at::Tensor kf = k.narrow(1, 0, valid_keys).to(at::kFloat).permute({0, 2, 3, 1});  // [B,H,D,Lk]
  at::Tensor vf = v.narrow(1, 0, valid_keys).to(at::kFloat).permute({0, 2, 1, 3});  // [B,H,Lk,D]
  at::Tensor scores = at::matmul(qf, kf).mul_(scale);                               // [B,H,Lq,Lk]
  AttentionPartial partial;
  partial.lse = at::logsumexp(scores, -1);  // [B,H,Lq]
  at::Tensor weights = (scores - partial.lse.unsqueeze(-1)).exp_();
  partial.out = at::matmul(weights, vf).permute({0, 2, 1, 3}).contiguous();  // [B,Lq,H,D]
  return partial;
}

void merge_attention_partials(AttentionPartial& accumulated, const AttentionPartial& block) {
  // lse = log(e^a + e^b); each side's output is re-weighted by e^(its lse − lse).
  at::Tensor merged_lse = at::logaddexp(accumulated.lse, block.lse);
  at::Tensor keep = (accumulated.lse - merged_lse).exp_().permute({0, 2, 1}).unsqueeze(-1);
  at::Tensor take = (block.lse - merged_lse).exp_().permute({0, 2, 1}).unsqueeze(-1);
  accumulated.out = accumulated.out * keep + block.out * take;
  accumulated.lse = merged_lse;
}

at::Tensor ring_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const SequenceShard& key_blocks, Communicator& ring) {
  const int size = ring.size();
  const int rank = ring.rank();
  MF_CHECK_EQ(key_blocks.parts, size, CommError, "one key block per ring rank");
  MF_CHECK_EQ(k.size(1), key_blocks.shard_tokens, CommError, "key block has the wrong length");
  const int next = (rank + 1) % size;
  const int previous = (rank + size - 1) % size;

  // K and V travel together in one buffer; two buffers alternate so the block being attended is
  // never the one being received.
  at::Tensor current = at::stack({k, v}).contiguous();
  at::Tensor incoming = at::empty_like(current);
  AttentionPartial accumulated;
  bool have_result = false;
  for (int step = 0; step < size; ++step) {
    std::unique_ptr<PendingTransfer> transfer;
    if (step + 1 < size) transfer = ring.start_exchange(current, next, incoming, previous, step);
    // At step s this rank holds the block that started on rank (rank − s) mod size.
    const int64_t block_index = (rank - step + size) % size;
    const int64_t valid = key_blocks.valid_tokens_in(block_index);
    // A block of pure padding (possible for short sequences) contributes nothing; every rank
    // knows the same valid counts, so the skip is consistent and needs no communication.
    if (valid > 0) {
      AttentionPartial block = attention_block_with_lse(q, current[0], current[1], valid);
      if (!have_result) {
        accumulated = std::move(block);
        have_result = true;
      } else {
        merge_attention_partials(accumulated, block);
      }
    }
    if (transfer) {
      transfer->wait();
      std::swap(current, incoming);
    }
  }
  MF_CHECK(have_result, CommError, "the ring holds no valid keys");
  return accumulated.out.to(q.scalar_type());
}

}  // namespace motionfarm::parallel
