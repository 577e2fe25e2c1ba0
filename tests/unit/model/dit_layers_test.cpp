// The DiT's building blocks: attention, RoPE, timestep sinusoid.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "model/attention.h"
#include "model/rope.h"
#include "model/time_embedding.h"

namespace motionfarm::model {
namespace {

at::Tensor randn(at::IntArrayRef shape, uint64_t seed, at::ScalarType type = at::kDouble) {
  return at::randn(shape, at::make_generator<at::CPUGeneratorImpl>(seed), type);
}

// softmax(q k^T / sqrt(d)) v, written out for one sample in float64.
at::Tensor naive_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const at::Tensor qh = q.permute({0, 2, 1, 3});  // [B, heads, L, d]
  const at::Tensor kh = k.permute({0, 2, 1, 3});
  const at::Tensor vh = v.permute({0, 2, 1, 3});
  const at::Tensor scores = at::matmul(qh, kh.transpose(-2, -1)) / std::sqrt(double(q.size(3)));
  return at::matmul(scores.softmax(-1), vh).permute({0, 2, 1, 3});
}

TEST(Attention, MatchesTheSoftmaxFormula) {
  const at::Tensor q = randn({2, 7, 3, 8}, 1), k = randn({2, 9, 3, 8}, 2),
                   v = randn({2, 9, 3, 8}, 3);
  EXPECT_TRUE(at::allclose(attention(q, k, v), naive_attention(q, k, v), 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(attention_math(q, k, v), naive_attention(q, k, v), 1e-12, 1e-12));
}

TEST(Attention, KeyLengthsEqualCuttingTheKeys) {
  const at::Tensor q = randn({2, 5, 2, 4}, 4), k = randn({2, 6, 2, 4}, 5),
                   v = randn({2, 6, 2, 4}, 6);
  const at::Tensor lengths = at::tensor({int64_t{6}, int64_t{3}});
  const at::Tensor out = attention(q, k, v, lengths);
  EXPECT_TRUE(
      at::allclose(out.narrow(0, 0, 1),
                   naive_attention(q.narrow(0, 0, 1), k.narrow(0, 0, 1), v.narrow(0, 0, 1))));
  EXPECT_TRUE(at::allclose(out.narrow(0, 1, 1),
                           naive_attention(q.narrow(0, 1, 1), k.narrow(0, 1, 1).narrow(1, 0, 3),
                                           v.narrow(0, 1, 1).narrow(1, 0, 3))));
  // Padding keys past the length do not matter.
  const at::Tensor k2 = k.clone();
  k2.narrow(0, 1, 1).narrow(1, 3, 3).fill_(100.0);
  EXPECT_TRUE(at::equal(attention(q, k2, v, lengths).narrow(0, 1, 1), out.narrow(0, 1, 1)));
  EXPECT_THROW(attention(q, k, v, at::tensor({int64_t{0}, int64_t{3}})), ModelError);
}

TEST(Attention, Float32MatchesFloat64) {
  const at::Tensor q = randn({1, 300, 2, 16}, 7), k = randn({1, 300, 2, 16}, 8),
                   v = randn({1, 300, 2, 16}, 9);
  const at::Tensor out = attention(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat));
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  EXPECT_LT((out.to(at::kDouble) - naive_attention(q, k, v)).abs().max().item<double>(), 1e-5);
}

// head_dim 20: 10 pairs split 4 (frame) : 3 (row) : 3 (column).
TEST(Rope, EachAxisRotatesItsOwnPairs) {
  const int64_t head_dim = 20;
  const RotaryTable table = make_rotary_table(head_dim, TokenGrid{2, 3, 4}, at::kCPU);
  ASSERT_EQ(table.cos.sizes(), (at::IntArrayRef{24, 1, 10}));
  const auto angles_of = [&](int64_t token) {
    return at::atan2(table.sin[token], table.cos[token]).view({10});
  };
  const auto nonzero_pairs = [&](int64_t token) { return angles_of(token).abs().gt(1e-12); };
  // token (0, 0, 1): only the column pairs 7..9 rotate; (0, 1, 0): rows 4..6; (1, 0, 0): frames
  // 0..3.
  EXPECT_TRUE(at::equal(nonzero_pairs(1), at::arange(10).ge(7)));
  EXPECT_TRUE(at::equal(nonzero_pairs(4), at::arange(10).ge(4).logical_and(at::arange(10).lt(7))));
  EXPECT_TRUE(at::equal(nonzero_pairs(12), at::arange(10).lt(4)));
  // Frame pair j turns by 10000^(-2j/8) per frame (a 1D RoPE of width 2 * 4).
  EXPECT_NEAR(angles_of(12)[1].item<double>(), std::pow(10000.0, -2.0 / 8.0), 1e-12);
  // Column pair j turns by 10000^(-2j/6) per column (width 2 * 3).
  EXPECT_NEAR(angles_of(1)[8].item<double>(), std::pow(10000.0, -2.0 / 6.0), 1e-12);
}

TEST(Rope, RotatesInterleavedPairsAsComplexNumbers) {
  const RotaryTable table = make_rotary_table(12, TokenGrid{1, 2, 3}, at::kCPU);
  const at::Tensor x = randn({1, 6, 2, 12}, 10);
  const at::Tensor rotated = apply_rotary(x, table);
  const at::Tensor complex = at::view_as_complex(x.reshape({1, 6, 2, 6, 2}).contiguous());
  const at::Tensor turn = at::polar(at::ones_like(table.cos), at::atan2(table.sin, table.cos));
  const at::Tensor expected = at::view_as_real(complex * turn).reshape({1, 6, 2, 12});
  EXPECT_TRUE(at::allclose(rotated, expected, 1e-12, 1e-12));
  // Rotation keeps each pair's length, and the slice of a shard is the shard's rows.
  EXPECT_TRUE(
      at::allclose(apply_rotary(x.narrow(1, 2, 3), table.slice(2, 3)), rotated.narrow(1, 2, 3)));
  EXPECT_THROW(make_rotary_table(12, TokenGrid{1025, 1, 1}, at::kCPU), ModelError);
}

TEST(TimeEmbedding, SinusoidIsCosThenSinInFloat64) {
  const at::Tensor s = sinusoidal_embedding(at::tensor({0.0f, 500.0f}), 8);
  ASSERT_EQ(s.sizes(), (at::IntArrayRef{2, 8}));
  EXPECT_EQ(s.scalar_type(), at::kDouble);
  EXPECT_TRUE(at::equal(s[0], at::cat({at::ones({4}, at::kDouble), at::zeros({4}, at::kDouble)})));
  const double frequency = std::pow(10000.0, -1.0 / 4.0);  // i = 1 of half = 4
  EXPECT_DOUBLE_EQ(s[1][1].item<double>(), std::cos(500.0 * frequency));
  EXPECT_DOUBLE_EQ(s[1][5].item<double>(), std::sin(500.0 * frequency));
}

TEST(TimeEmbedding, SharedTimestepsCollapseToOnePerSample) {
  EXPECT_EQ(timesteps_per_token(at::tensor({3.0f}), 2, 10).sizes(), (at::IntArrayRef{2, 1}));
  EXPECT_EQ(timesteps_per_token(at::full({2, 12}, 5.0), 2, 10).sizes(), (at::IntArrayRef{2, 1}));
  at::Tensor mixed = at::full({1, 12}, 5.0);
  mixed[0][3] = 0.0;
  EXPECT_EQ(timesteps_per_token(mixed, 1, 10).sizes(), (at::IntArrayRef{1, 10}));
  mixed = at::full({1, 12}, 5.0);
  mixed[0][11] = 0.0;  // only padding differs
  EXPECT_EQ(timesteps_per_token(mixed, 1, 10).sizes(), (at::IntArrayRef{1, 1}));
  EXPECT_THROW(timesteps_per_token(at::full({3}, 1.0), 2, 10), ModelError);
}

}  // namespace
}  // namespace motionfarm::model
