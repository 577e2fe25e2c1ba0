// Deterministic standard-normal noise keyed by (job seed, asset id, segment index).
//
// The same key gives the same float32 numbers on any rank, any parallel layout, any device, any
// resume and any LibTorch version, because the numbers never come from torch's generators:
//   key      = SplitMix64(FNV-1a-64("motionfarm-noise-v1" | seed | asset id | segment)) (see below)
//   element e of the flattened (row-major) tensor uses Philox4x32-10 block e / 2 under that key;
//   the block's four words make two 53-bit uniforms u1 in (0, 1], u2 in [0, 1), and Box-Muller in
//   float64 gives sqrt(-2 ln u1) * cos(2 pi u2) for even e and * sin(2 pi u2) for odd e, rounded
//   to float32.
// Every element depends only on the key and its index, so a rank can generate just its shard. The
// noise is computed on the CPU (move it to the device afterwards); the last-bit guarantee across
// machines assumes the same C library (libm's log/cos/sin), which the farm's one image provides.
// Changing anything above changes every clip: bump the "v1" tag and say so in docs/sampling.md.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/philox.h"

namespace motionfarm::model {

struct NoiseKey {
  uint64_t job_seed = 0;
  std::string asset_id;       // the manifest's asset id, byte for byte
  int64_t segment_index = 0;  // which segment of the asset's clip
};

// FNV-1a, 64 bit, over `size` bytes, continuing from `state` (the FNV offset basis by default).
uint64_t fnv1a64(const void* data, std::size_t size, uint64_t state = 0xcbf29ce484222325ull);
// SplitMix64's output function for input `x` (Steele, Lea, Flood 2014): x + golden gamma, mixed.
uint64_t splitmix64(uint64_t x);

// The Philox key of `key`: FNV-1a-64 over the bytes of "motionfarm-noise-v1", the seed (8 bytes,
// little endian), the asset id's length (8 bytes, little endian) and bytes, and the segment index
// (8 bytes, little endian, two's complement), then SplitMix64; low 32 bits first.
PhiloxKey derive_noise_key(const NoiseKey& key);

// Standard-normal float32 noise of `shape`, contiguous, on the CPU.
at::Tensor seeded_normal(const NoiseKey& key, at::IntArrayRef shape);
// Elements [begin, end) of the flattened seeded_normal(key, shape) of any shape with at least `end`
// elements, as a 1-D float32 CPU tensor: a shard of the same numbers.
at::Tensor seeded_normal_range(const NoiseKey& key, int64_t begin, int64_t end);
// The elements at the given flat indices (an int64 tensor of any shape, values >= 0), same shape:
// for shards that are not one contiguous range, e.g. a sequence-parallel rank's tokens.
at::Tensor seeded_normal_at(const NoiseKey& key, const at::Tensor& flat_indices);

}  // namespace motionfarm::model
