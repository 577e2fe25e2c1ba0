// Seeded noise: Philox4x32-10 against the published known answers, the key hash against its
// specification, and the noise's determinism, independence, sharding and distribution.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/philox.h"
#include "model/seeded_noise.h"

namespace motionfarm::model {
namespace {

TEST(Philox, MatchesRandom123KnownAnswers) {
  // Random123's kat_vectors for philox4x32 with 10 rounds (Salmon et al. 2011).
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(
      philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
      (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
      (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(NoiseKeyHash, FnvAndSplitMixMatchTheirPublishedValues) {
  // FNV-1a 64 test vectors (Fowler/Noll/Vo reference suite).
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar", 6), 0x85944171f73967e8ull);
  // Hashing in pieces continues the same stream.
  EXPECT_EQ(fnv1a64("bar", 3, fnv1a64("foo", 3)), fnv1a64("foobar", 6));
  // The first output of Vigna's splitmix64.c seeded with 0.
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);
}

TEST(NoiseKeyHash, EveryFieldChangesTheKey) {
  const NoiseKey base{42, "asset-001", 0};
  const PhiloxKey key = derive_noise_key(base);
  EXPECT_EQ(derive_noise_key(NoiseKey{42, "asset-001", 0}), key);
  EXPECT_NE(derive_noise_key(NoiseKey{43, "asset-001", 0}), key);
  EXPECT_NE(derive_noise_key(NoiseKey{42, "asset-002", 0}), key);
  EXPECT_NE(derive_noise_key(NoiseKey{42, "asset-001", 1}), key);
  // An id that extends another is a different id.
  EXPECT_NE(derive_noise_key(NoiseKey{42, "asset-0010", 0}), key);
}

TEST(SeededNoise, PinnedValuesNeverChange) {
  // Regression guard, computed once by this implementation: any change to the scheme (hash,
  // counter layout, Box-Muller) changes every clip and must bump the scheme tag.
  const at::Tensor noise = seeded_normal(NoiseKey{42, "asset-001", 3}, {6});
  const float expected[6] = {-0x1.4f782ep-1f, -0x1.b32e4ap-2f, -0x1.709ae4p-1f,
                             0x1.f7c936p-1f,  0x1.ff6754p-4f,  0x1.c8cc7ap-2f};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(noise[i].item<float>(), expected[i]) << "element " << i;
  }
}

TEST(SeededNoise, SameKeyGivesTheSameTensor) {
  const NoiseKey key{7, "clip/ä-unicode id", 2};
  const at::Tensor a = seeded_normal(key, {16, 3, 10, 12});
  const at::Tensor b = seeded_normal(key, {16, 3, 10, 12});
  EXPECT_EQ(a.scalar_type(), at::kFloat);
  EXPECT_TRUE(a.is_contiguous());
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{16, 3, 10, 12}));
  EXPECT_TRUE(at::equal(a, b));
  // The shape only arranges the same flat stream.
  EXPECT_TRUE(at::equal(seeded_normal(key, {5760}), a.flatten()));
}

TEST(SeededNoise, DifferentSeedAssetOrSegmentGiveUnrelatedNoise) {
  const int64_t n = 1 << 16;
  const at::Tensor base = seeded_normal(NoiseKey{1, "a", 0}, {n});
  for (const NoiseKey& other :
       {NoiseKey{2, "a", 0}, NoiseKey{1, "b", 0}, NoiseKey{1, "a", 1}, NoiseKey{1, "a", -1}}) {
    const at::Tensor noise = seeded_normal(other, {n});
    EXPECT_FALSE(at::equal(noise, base));
    // Independent streams: the sample correlation is ~N(0, 1/n), i.e. |corr| < 5/sqrt(n) ~ 0.02.
    const double corr = (noise * base).mean().item<double>();
    EXPECT_LT(std::abs(corr), 0.02) << other.asset_id << " " << other.segment_index;
  }
}

TEST(SeededNoise, ShardsEqualTheSlicesOfTheFullTensor) {
  const NoiseKey key{123456789, "asset-17", 4};
  const at::Tensor full = seeded_normal(key, {16, 5, 9, 11}).flatten();
  const int64_t numel = full.numel();
  // Odd and even starts cut Box-Muller pairs in half; the empty range is allowed.
  for (const auto& [begin, end] : std::vector<std::pair<int64_t, int64_t>>{
           {0, numel}, {1, 2}, {3, 1000}, {4, 5}, {numel - 7, numel}, {10, 10}}) {
    EXPECT_TRUE(at::equal(seeded_normal_range(key, begin, end), full.slice(0, begin, end)))
        << "[" << begin << ", " << end << ")";
  }
  // A strided shard (every fourth token of a [16, L] latent) by flat index.
  const at::Tensor indices =
      at::arange(numel, at::kLong).reshape({16, -1}).slice(1, 1, c10::nullopt, 4);
  EXPECT_TRUE(at::equal(seeded_normal_at(key, indices), full.index({indices})));
  EXPECT_THROW(seeded_normal_range(key, 5, 4), Error);
  EXPECT_THROW(seeded_normal_at(key, at::tensor({-1}, at::kLong)), Error);
}

TEST(SeededNoise, IsStandardNormal) {
  const at::Tensor noise = seeded_normal(NoiseKey{2024, "stats", 0}, {1000000}).to(at::kDouble);
  // Standard errors on 1e6 samples: mean 1e-3, std 7e-4; the bounds are 5 of them.
  EXPECT_LT(std::abs(noise.mean().item<double>()), 5e-3);
  EXPECT_LT(std::abs(noise.std().item<double>() - 1.0), 3.5e-3);
  // Tails: P(|z| > 2) = 0.0455, P(|z| > 3) = 0.0027.
  EXPECT_NEAR((noise.abs() > 2.0).to(at::kDouble).mean().item<double>(), 0.0455, 1.1e-3);
  EXPECT_NEAR((noise.abs() > 3.0).to(at::kDouble).mean().item<double>(), 0.0027, 2.6e-4);
  EXPECT_TRUE(at::isfinite(noise).all().item<bool>());
  // Neighbouring elements (the two halves of a Box-Muller pair, and across pairs) are uncorrelated.
  const at::Tensor even = noise.slice(0, 0, c10::nullopt, 2);
  const at::Tensor odd = noise.slice(0, 1, c10::nullopt, 2);
  EXPECT_LT(std::abs((even * odd).mean().item<double>()), 7e-3);
}

}  // namespace
}  // namespace motionfarm::model
