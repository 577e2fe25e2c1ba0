#include "io/xxhash64.h"

#include <cstring>

namespace motionfarm::io {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

constexpr uint64_t rotate_left(uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

// The algorithm reads little-endian words; memcpy keeps unaligned reads defined.
uint64_t read64(const unsigned char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap64(value);
#endif
  return value;
}
uint32_t read32(const unsigned char* p) {
  uint32_t value;
  std::memcpy(&value, p, sizeof(value));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap32(value);
#endif
  return value;
}

uint64_t accumulate(uint64_t accumulator, uint64_t input) {
  accumulator += input * kPrime2;
  accumulator = rotate_left(accumulator, 31);
  return accumulator * kPrime1;
}

uint64_t merge_round(uint64_t hash, uint64_t lane) {
  hash ^= accumulate(0, lane);
  return hash * kPrime1 + kPrime4;
}

// Consumes whole 32-byte stripes from `p`; returns how many bytes it used.
size_t consume_stripes(uint64_t (&lanes)[4], const unsigned char* p, size_t size) {
  const unsigned char* const begin = p;
  const unsigned char* const limit = p + (size & ~size_t{31});
  while (p < limit) {
    lanes[0] = accumulate(lanes[0], read64(p));
    lanes[1] = accumulate(lanes[1], read64(p + 8));
    lanes[2] = accumulate(lanes[2], read64(p + 16));
    lanes[3] = accumulate(lanes[3], read64(p + 24));
    p += 32;
  }
  return static_cast<size_t>(p - begin);
}

}  // namespace

Xxhash64::Xxhash64(uint64_t seed)
    : lanes_{seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1}, seed_(seed) {}

void Xxhash64::update(const void* data, size_t size) {
  if (size == 0) return;  // `data` may then be null, which memcpy must not see
  const auto* p = static_cast<const unsigned char*>(data);
  total_size_ += size;
  if (buffered_ > 0) {
    const size_t take = size < 32 - buffered_ ? size : 32 - buffered_;
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    size -= take;
    if (buffered_ < 32) return;
    consume_stripes(lanes_, buffer_, 32);
    buffered_ = 0;
  }
  const size_t used = consume_stripes(lanes_, p, size);
  std::memcpy(buffer_, p + used, size - used);
  buffered_ = size - used;
}

uint64_t Xxhash64::digest() const {
  uint64_t hash;
  if (total_size_ >= 32) {
    hash = rotate_left(lanes_[0], 1) + rotate_left(lanes_[1], 7) + rotate_left(lanes_[2], 12) +
           rotate_left(lanes_[3], 18);
    for (const uint64_t lane : lanes_) hash = merge_round(hash, lane);
  } else {
    hash = seed_ + kPrime5;
  }
  hash += total_size_;

  const unsigned char* p = buffer_;
  const unsigned char* const end = buffer_ + buffered_;
  for (; p + 8 <= end; p += 8) {
    hash ^= accumulate(0, read64(p));
    hash = rotate_left(hash, 27) * kPrime1 + kPrime4;
  }
  if (p + 4 <= end) {
    hash ^= static_cast<uint64_t>(read32(p)) * kPrime1;
    hash = rotate_left(hash, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p) {
    hash ^= static_cast<uint64_t>(*p) * kPrime5;
    hash = rotate_left(hash, 11) * kPrime1;
  }

  hash ^= hash >> 33;
  hash *= kPrime2;
  hash ^= hash >> 29;
  hash *= kPrime3;
  hash ^= hash >> 32;
  return hash;
}

void Xxhash64::update_field(const std::string& name, const std::string& value) {
  for (const std::string* text : {&name, &value}) {
    const uint64_t size = text->size();
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(size >> (8 * i));
    update(length, sizeof(length));
    update(text->data(), text->size());
  }
}

uint64_t xxhash64(const void* data, size_t size, uint64_t seed) {
  Xxhash64 hasher(seed);
  hasher.update(data, size);
  return hasher.digest();
}

}  // namespace motionfarm::io
