// XXH64, the 64-bit xxHash checksum (Yann Collet's published algorithm), for latent checkpoints.
//
// Chosen over CRC32C because a scalar XXH64 runs at several GB/s without CPU-specific
// instructions, so verifying a multi-GiB checkpoint costs less than reading it from disk. It
// detects corruption, not tampering: it is not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace motionfarm::io {

// Streaming XXH64: update() any number of times, digest() at any point (it does not consume the
// state). Hashing in pieces gives the same value as hashing the concatenation at once.
class Xxhash64 {
 public:
  explicit Xxhash64(uint64_t seed = 0);
  void update(const void* data, size_t size);
  uint64_t digest() const;
  // Hashes `name` and `value` each preceded by its length, so that no two different field lists
  // hash the same bytes (for checksums over several attributes).
  void update_field(const std::string& name, const std::string& value);

 private:
  uint64_t lanes_[4];
  uint64_t seed_;
  uint64_t total_size_ = 0;
  unsigned char buffer_[32];  // input not yet consumed by a full 32-byte stripe
  size_t buffered_ = 0;
};

// XXH64 of one buffer.
uint64_t xxhash64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace motionfarm::io
