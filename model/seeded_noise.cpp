#include "model/seeded_noise.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <string_view>

#include "core/check.h"

namespace motionfarm::model {
namespace {

constexpr std::string_view kSchemeTag = "motionfarm-noise-v1";
constexpr double kTwoPi = 6.283185307179586476925286766559;
// Elements per parallel task: large enough to amortise the task, small enough to spread 1e6.
constexpr int64_t kGrainSize = 1 << 14;

uint64_t hash_u64(uint64_t value, uint64_t state) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  }
  return fnv1a64(bytes, sizeof(bytes), state);
}

// 53 random bits from two 32-bit words, as an integer in [0, 2^53).
uint64_t bits53(uint32_t low, uint32_t high) {
  return ((static_cast<uint64_t>(high) << 32) | low) >> 11;
}

// The standard normal of flat element `index` under `key`.
float normal_at(const PhiloxKey& key, uint64_t index) {
  const uint64_t block = index >> 1;
  const PhiloxCounter words = philox4x32_10(
      {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u}, key);
  // u1 in (0, 1] keeps the logarithm finite; u2 in [0, 1).
  const double u1 = (static_cast<double>(bits53(words[0], words[1])) + 0.5) * 0x1p-53;
  const double u2 = static_cast<double>(bits53(words[2], words[3])) * 0x1p-53;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = kTwoPi * u2;
  const double value = (index & 1u) == 0 ? radius * std::cos(angle) : radius * std::sin(angle);
  return static_cast<float>(value);
}

}  // namespace

uint64_t fnv1a64(const void* data, std::size_t size, uint64_t state) {
  constexpr uint64_t kPrime = 0x100000001b3ull;
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    state ^= bytes[i];
    state *= kPrime;
  }
  return state;
}

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

PhiloxKey derive_noise_key(const NoiseKey& key) {
  uint64_t state = fnv1a64(kSchemeTag.data(), kSchemeTag.size());
  state = hash_u64(key.job_seed, state);
  state = hash_u64(static_cast<uint64_t>(key.asset_id.size()), state);
  state = fnv1a64(key.asset_id.data(), key.asset_id.size(), state);
  state = hash_u64(static_cast<uint64_t>(key.segment_index), state);
  const uint64_t mixed = splitmix64(state);
  return {static_cast<uint32_t>(mixed), static_cast<uint32_t>(mixed >> 32)};
}

at::Tensor seeded_normal_range(const NoiseKey& key, int64_t begin, int64_t end) {
  MF_CHECK(begin >= 0 && begin <= end, Error,
           "seeded noise: the element range [" << begin << ", " << end << ") is not valid");
  const PhiloxKey philox_key = derive_noise_key(key);
  at::Tensor out = at::empty({end - begin}, at::TensorOptions().dtype(at::kFloat));
  float* data = out.data_ptr<float>();
  // Each element depends only on its index, so the split across threads cannot change the numbers.
  at::parallel_for(0, end - begin, kGrainSize, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      data[i] = normal_at(philox_key, static_cast<uint64_t>(begin + i));
    }
  });
  return out;
}

at::Tensor seeded_normal(const NoiseKey& key, at::IntArrayRef shape) {
  int64_t numel = 1;
  for (const int64_t size : shape) {
    MF_CHECK_GE(size, 0, Error, "seeded noise: negative size in shape " << shape);
    numel *= size;
  }
  return seeded_normal_range(key, 0, numel).reshape(shape);
}

at::Tensor seeded_normal_at(const NoiseKey& key, const at::Tensor& flat_indices) {
  MF_CHECK(flat_indices.scalar_type() == at::kLong, Error,
           "seeded noise: flat indices must be int64, got " << flat_indices.scalar_type());
  const at::Tensor indices = flat_indices.to(at::kCPU).contiguous();
  const PhiloxKey philox_key = derive_noise_key(key);
  at::Tensor out = at::empty(indices.sizes(), at::TensorOptions().dtype(at::kFloat));
  const int64_t* index_data = indices.data_ptr<int64_t>();
  float* data = out.data_ptr<float>();
  const int64_t count = indices.numel();
  for (int64_t i = 0; i < count; ++i) {
    MF_CHECK_GE(index_data[i], 0, Error, "seeded noise: negative flat index");
  }
  at::parallel_for(0, count, kGrainSize, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      data[i] = normal_at(philox_key, static_cast<uint64_t>(index_data[i]));
    }
  });
  return out;
}

}  // namespace motionfarm::model
