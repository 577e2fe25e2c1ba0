// XXH64 against the published reference values, and streaming in any split equals one shot.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "io/xxhash64.h"

namespace motionfarm::io {
namespace {

uint64_t hash_text(const std::string& text, uint64_t seed = 0) {
  return xxhash64(text.data(), text.size(), seed);
}

TEST(Xxhash64, MatchesReferenceValues) {
  // From the reference implementation (xxhsum / python-xxhash); the 31-, 39- and 43-byte inputs
  // cover the tail paths and the 32-byte stripe loop.
  EXPECT_EQ(hash_text(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(hash_text("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(hash_text("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(hash_text("ABC"), 0xE66AE7354FCFEE98ULL);
  EXPECT_EQ(hash_text("xxhash"), 0x32DD38952C4BC720ULL);
  EXPECT_EQ(hash_text("abcdefghijklmnopqrstuvwxyz12345"), 0x467605901B01D6F6ULL);
  EXPECT_EQ(hash_text("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
  EXPECT_EQ(hash_text("The quick brown fox jumps over the lazy dog"), 0x0B242D361FDA71BCULL);
  EXPECT_EQ(hash_text(std::string(32, 'a')), 0x856E843298F99AD7ULL);
  EXPECT_EQ(hash_text("", 668718853), 0x04E830582A31A119ULL);
}

TEST(Xxhash64, StreamingInAnySplitEqualsOneShot) {
  std::mt19937 random(7);
  std::vector<unsigned char> data(1000);
  for (unsigned char& byte : data) byte = static_cast<unsigned char>(random());
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{31}, size_t{32}, size_t{33}, size_t{100}, size_t{1000}}) {
    const uint64_t expected = xxhash64(data.data(), size, 99);
    for (int trial = 0; trial < 20; ++trial) {
      Xxhash64 hasher(99);
      size_t done = 0;
      while (done < size) {
        const size_t piece = std::min<size_t>(size - done, random() % 40);
        hasher.update(data.data() + done, piece);
        done += piece;
      }
      EXPECT_EQ(hasher.digest(), expected) << "size " << size;
    }
  }
}

TEST(Xxhash64, AnyFlippedBitChangesTheHash) {
  std::vector<unsigned char> data(256, 0x5A);
  const uint64_t original = xxhash64(data.data(), data.size());
  for (size_t bit = 0; bit < data.size() * 8; bit += 13) {
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    EXPECT_NE(xxhash64(data.data(), data.size()), original) << "bit " << bit;
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
}

TEST(Xxhash64, FieldsAreLengthPrefixed) {
  Xxhash64 a, b;
  a.update_field("ab", "c");
  b.update_field("a", "bc");
  EXPECT_NE(a.digest(), b.digest());
}

}  // namespace
}  // namespace motionfarm::io
