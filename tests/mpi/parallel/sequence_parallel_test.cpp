// Sequence and tensor parallel primitives on real ranks, each against the single-rank computation
// (every rank builds the same full tensors from one seed and checks its own part).
#include <gtest/gtest.h>

#include "parallel/mappings.h"
#include "parallel/mpi_communicator.h"
#include "parallel/ring_attention.h"
#include "parallel/tensor_parallel.h"
#include "parallel/topology.h"

namespace motionfarm::parallel {
namespace {

constexpr double kTolerance = 1e-5;

at::Tensor seeded_randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat));
}

void expect_close(const at::Tensor& ours, const at::Tensor& reference) {
  ASSERT_EQ(ours.sizes(), reference.sizes());
  const double scale = std::max(1.0, reference.abs().max().item<double>());
  EXPECT_LE((ours - reference).abs().max().item<double>(), kTolerance * scale);
}

at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return attention_block_with_lse(q, k, v, k.size(1)).out;
}

class SequenceParallelTest : public ::testing::Test {
 protected:
  MpiCommunicator world{MpiComm::world()};
  int rank = world.rank();
  int size = world.size();
};

TEST_F(SequenceParallelTest, ScatterThenGatherRestoresAnUnevenSequence) {
  for (int64_t tokens : {13, 3, 16}) {
    const at::Tensor x = seeded_randn({2, tokens, 5}, 1);
    const SequenceShard shard = SequenceShard::make(tokens, size, rank);
    const at::Tensor mine = scatter_to_sequence_shard(x, shard);
    EXPECT_EQ(mine.size(1), (tokens + size - 1) / size);
    EXPECT_TRUE(at::equal(gather_from_sequence_shards(mine, shard, world), x));
  }
}

TEST_F(SequenceParallelTest, UlyssesAllToAllMovesHeadsAndBack) {
  const int64_t tokens = 13, heads = 4 * size, dim = 3;
  const at::Tensor x = seeded_randn({2, tokens, heads, dim}, 2);
  const SequenceShard shard = SequenceShard::make(tokens, size, rank);
  const at::Tensor mine = scatter_to_sequence_shard(x, shard);
  const at::Tensor by_heads = all_to_all_sequence_to_heads(mine.unsqueeze(0), world)[0];
  const int64_t heads_per_rank = heads / size;
  const at::Tensor padded = at::constant_pad_nd(x, {0, 0, 0, 0, 0, shard.padded_tokens() - tokens});
  EXPECT_TRUE(at::equal(by_heads, padded.narrow(2, rank * heads_per_rank, heads_per_rank)));
  EXPECT_TRUE(at::equal(all_to_all_heads_to_sequence(by_heads, world), mine));
}

TEST_F(SequenceParallelTest, UlyssesAttentionEqualsFullAttention) {
  const int64_t tokens = 11, heads = 2 * size, dim = 8;
  const at::Tensor q = seeded_randn({1, tokens, heads, dim}, 3);
  const at::Tensor k = seeded_randn({1, tokens, heads, dim}, 4);
  const at::Tensor v = seeded_randn({1, tokens, heads, dim}, 5);
  const SequenceShard shard = SequenceShard::make(tokens, size, rank);
  const at::Tensor packed =
      at::stack({scatter_to_sequence_shard(q, shard), scatter_to_sequence_shard(k, shard),
                 scatter_to_sequence_shard(v, shard)});
  const at::Tensor qkv = all_to_all_sequence_to_heads(packed, world);
  // Padding keys sit at the end of the gathered sequence: attend to the real ones only.
  const at::Tensor attended = attention_block_with_lse(qkv[0], qkv[1], qkv[2], tokens).out;
  const at::Tensor mine = all_to_all_heads_to_sequence(attended, world);
  const at::Tensor gathered = gather_from_sequence_shards(mine, shard, world);
  expect_close(gathered, full_attention(q, k, v));
}

TEST_F(SequenceParallelTest, RingAttentionEqualsFullAttentionIncludingPaddingBlocks) {
  // 3 tokens on 4 ranks leaves the last rank a block of pure padding.
  for (int64_t tokens : {13, 3, 8}) {
    SCOPED_TRACE(tokens);
    const at::Tensor q = seeded_randn({2, tokens, 3, 8}, 6);
    const at::Tensor k = seeded_randn({2, tokens, 3, 8}, 7);
    const at::Tensor v = seeded_randn({2, tokens, 3, 8}, 8);
    const SequenceShard shard = SequenceShard::make(tokens, size, rank);
    const at::Tensor out =
        ring_attention(scatter_to_sequence_shard(q, shard), scatter_to_sequence_shard(k, shard),
                       scatter_to_sequence_shard(v, shard), shard, world);
    expect_close(gather_from_sequence_shards(out, shard, world), full_attention(q, k, v));
  }
}

TEST_F(SequenceParallelTest, UlyssesTimesRingEqualsFullAttention) {
  if (size != 4) GTEST_SKIP() << "needs 4 ranks";
  const Topology topology =
      Topology::create(MpiComm::world(), ParallelLayout::parse("ulysses=2,ring=2"));
  MpiCommunicator ulysses(topology.ulysses_comm());
  MpiCommunicator ring(topology.ring_comm());
  MpiCommunicator sequence(topology.sequence_comm());
  const int64_t tokens = 14, heads = 4, dim = 8;
  const at::Tensor q = seeded_randn({1, tokens, heads, dim}, 9);
  const at::Tensor k = seeded_randn({1, tokens, heads, dim}, 10);
  const at::Tensor v = seeded_randn({1, tokens, heads, dim}, 11);
  // The sequence splits over ulysses × ring shards (ring-major), then Ulysses gathers within
  // each ring rank's part, and the ring passes those parts around.
  const SequenceShard shard = SequenceShard::make(tokens, 4, sequence.rank());
  const at::Tensor qkv = all_to_all_sequence_to_heads(
      at::stack({scatter_to_sequence_shard(q, shard), scatter_to_sequence_shard(k, shard),
                 scatter_to_sequence_shard(v, shard)}),
      ulysses);
  SequenceShard ring_blocks;
  ring_blocks.total_tokens = tokens;
  ring_blocks.parts = 2;
  ring_blocks.shard_tokens = 2 * shard.shard_tokens;
  ring_blocks.shard_index = topology.coordinates().ring;
  const at::Tensor attended = ring_attention(qkv[0], qkv[1], qkv[2], ring_blocks, ring);
  const at::Tensor mine = all_to_all_heads_to_sequence(attended, ulysses);
  expect_close(gather_from_sequence_shards(mine, shard, sequence), full_attention(q, k, v));
}

TEST_F(SequenceParallelTest, TensorParallelLinearsAndNormEqualTheFullLayers) {
  const int64_t dim = 8 * size, hidden = 4 * size;
  const at::Tensor x = seeded_randn({2, 5, dim}, 12);
  const at::Tensor w1 = seeded_randn({hidden, dim}, 13), b1 = seeded_randn({hidden}, 14);
  const at::Tensor w2 = seeded_randn({dim, hidden}, 15), b2 = seeded_randn({dim}, 16);
  const at::Tensor norm_weight = seeded_randn({hidden}, 17);

  const at::Tensor h_shard =
      column_parallel_linear(x, shard_rows(w1, rank, size), shard_rows(b1, rank, size));
  const at::Tensor h_full = at::linear(x, w1, b1);
  expect_close(h_shard, h_full.narrow(2, rank * (hidden / size), hidden / size));

  const at::Tensor normed =
      tensor_parallel_rms_norm(h_shard, shard_rows(norm_weight, rank, size), hidden, 1e-6, world);
  const at::Tensor normed_full =
      h_full * at::rsqrt(h_full.pow(2).mean(-1, true) + 1e-6) * norm_weight;
  expect_close(normed, normed_full.narrow(2, rank * (hidden / size), hidden / size));

  const at::Tensor y = row_parallel_linear(h_shard, shard_columns(w2, rank, size), b2, world);
  expect_close(y, at::linear(h_full, w2, b2));
}

}  // namespace
}  // namespace motionfarm::parallel
