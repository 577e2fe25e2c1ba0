#include "parallel/mappings.h"

#include <algorithm>

#include "core/check.h"

namespace motionfarm::parallel {

SequenceShard SequenceShard::make(int64_t total_tokens, int64_t parts, int64_t shard_index) {
  MF_CHECK_GT(parts, 0, ConfigError, "a sequence needs at least one part");
  MF_CHECK(shard_index >= 0 && shard_index < parts, ConfigError,
           "shard " << shard_index << " is not one of " << parts);
  SequenceShard shard;
  shard.total_tokens = total_tokens;
  shard.parts = parts;
  shard.shard_index = shard_index;
  shard.shard_tokens = (total_tokens + parts - 1) / parts;
  return shard;
}

int64_t SequenceShard::valid_tokens_in(int64_t index) const {
  return std::clamp(total_tokens - index * shard_tokens, int64_t{0}, shard_tokens);
}

at::Tensor scatter_to_sequence_shard(const at::Tensor& x, const SequenceShard& shard) {
  MF_CHECK_EQ(x.size(1), shard.total_tokens, Error, "the tensor's dim 1 must hold every token");
  const int64_t valid = shard.valid_tokens();
  std::vector<int64_t> shape = x.sizes().vec();
  shape[1] = shard.shard_tokens;
  at::Tensor out = at::zeros(shape, x.options());
  if (valid > 0) out.narrow(1, 0, valid).copy_(x.narrow(1, shard.begin(), valid));
  return out;
}

at::Tensor gather_from_sequence_shards(const at::Tensor& x, const SequenceShard& shard,
                                       Communicator& comm) {
  MF_CHECK_EQ(x.size(1), shard.shard_tokens, CommError, "the shard has the wrong token count");
  // all_gather concatenates along dim 0, so move the sequence there and back.
  at::Tensor moved = x.transpose(0, 1).contiguous();  // [Ls, B, ...]
  at::Tensor all = comm.all_gather(moved);            // [P·Ls, B, ...]
  return all.narrow(0, 0, shard.total_tokens).transpose(0, 1).contiguous();
}

at::Tensor all_to_all_sequence_to_heads(const at::Tensor& packed, Communicator& comm) {
  const int64_t parts = comm.size();
  MF_CHECK_EQ(packed.dim(), 5, CommError, "expected [N, B, Ls, H, D]");
  const int64_t n = packed.size(0), b = packed.size(1), ls = packed.size(2), h = packed.size(3),
                d = packed.size(4);
  MF_CHECK_EQ(h % parts, 0, CommError, "heads must divide by the Ulysses degree");
  // [N,B,Ls,P,H/P,D] → [P,N,B,Ls,H/P,D]: block j (heads of rank j) goes to rank j.
  at::Tensor send =
      packed.reshape({n, b, ls, parts, h / parts, d}).permute({3, 0, 1, 2, 4, 5}).contiguous();
  at::Tensor received = comm.all_to_all(send);  // [P(source = sequence shard), N,B,Ls,H/P,D]
  // Source rank order is sequence order: [N,B,P,Ls,H/P,D] → [N,B,P·Ls,H/P,D].
  return received.permute({1, 2, 0, 3, 4, 5}).reshape({n, b, parts * ls, h / parts, d});
}

at::Tensor all_to_all_heads_to_sequence(const at::Tensor& x, Communicator& comm) {
  const int64_t parts = comm.size();
  MF_CHECK_EQ(x.dim(), 4, CommError, "expected [B, L, H/P, D]");
  const int64_t b = x.size(0), l = x.size(1), hp = x.size(2), d = x.size(3);
  MF_CHECK_EQ(l % parts, 0, CommError, "the padded sequence must divide by the Ulysses degree");
  // [B,P,Ls,H/P,D] → [P,B,Ls,H/P,D]: sequence shard j goes back to rank j.
  at::Tensor send = x.reshape({b, parts, l / parts, hp, d}).permute({1, 0, 2, 3, 4}).contiguous();
  at::Tensor received = comm.all_to_all(send);  // [P(source = head group), B, Ls, H/P, D]
  return received.permute({1, 2, 0, 3, 4}).reshape({b, l / parts, parts * hp, d});
}

void reduce_from_tensor_parallel(at::Tensor& partial, Communicator& comm) {
  if (comm.size() == 1) return;
  comm.all_reduce(partial, ReduceOp::Sum);
}

}  // namespace motionfarm::parallel
