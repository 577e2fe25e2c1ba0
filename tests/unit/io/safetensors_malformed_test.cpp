// Malformed and hostile safetensors files: each is rejected at open (or at tensor()) with an
// InputError that names the file and says what is wrong.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>

#include "core/error.h"
#include "io/safetensors.h"
#include "tests/support/test_paths.h"

namespace motionfarm::io {
namespace {

using motionfarm::testing::ScratchDir;

class SafetensorsMalformed : public ::testing::Test {
 protected:
  // Writes [8-byte length][header][data]; `length` overrides the true header length.
  std::string write_raw(const std::string& header, const std::string& data,
                        std::optional<uint64_t> length = std::nullopt) {
    const std::string path = scratch_.file("bad" + std::to_string(++count_) + ".safetensors");
    std::ofstream out(path, std::ios::binary);
    const uint64_t value = length.value_or(header.size());
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((value >> (8 * i)) & 0xff));
    out << header << data;
    return path;
  }
  std::string write_bytes(const std::string& bytes) {
    const std::string path = scratch_.file("bytes" + std::to_string(++count_) + ".safetensors");
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // open() must throw InputError whose message names the file and contains `reason`.
  static void expect_rejected(const std::string& path, const std::string& reason) {
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << "expected InputError containing: " << reason;
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find(reason), std::string::npos) << message;
    }
  }

  ScratchDir scratch_{"safetensors-bad"};
  int count_ = 0;
};

TEST_F(SafetensorsMalformed, EmptyFile) { expect_rejected(write_bytes(""), "file is empty"); }

TEST_F(SafetensorsMalformed, ShorterThanTheLengthPrefix) {
  expect_rejected(write_bytes("abcde"), "file is 5 bytes, too short for the 8-byte header length");
}

TEST_F(SafetensorsMalformed, HeaderLengthLargerThanTheFile) {
  expect_rejected(write_raw("{}", "", 1000),
                  "header length 1000 runs past the end of the 10-byte file");
}

TEST_F(SafetensorsMalformed, HeaderLengthAbsurd) {
  expect_rejected(write_raw("{}", "", 1ull << 62), "exceeds the limit of 104857600 bytes");
}

TEST_F(SafetensorsMalformed, HeaderNotJson) {
  expect_rejected(write_raw("{\"w\": [1, 2", ""), "header is not valid JSON");
  expect_rejected(write_raw("", ""), "header is not valid JSON");
}

TEST_F(SafetensorsMalformed, HeaderNotUtf8) {
  expect_rejected(write_raw("{\"w\xff\xfe\": 1}", ""), "header is not valid JSON");
}

TEST_F(SafetensorsMalformed, HeaderNotAnObject) {
  expect_rejected(write_raw("[1, 2]  ", ""), "header is not a JSON object");
}

TEST_F(SafetensorsMalformed, EntryNotAnObject) {
  expect_rejected(write_raw(R"({"w": 3})", ""), "entry \"w\" is not a JSON object");
}

TEST_F(SafetensorsMalformed, MissingKey) {
  expect_rejected(write_raw(R"({"w": {"dtype": "F32", "shape": [1]}})", "abcd"),
                  "tensor \"w\" has no \"data_offsets\"");
  expect_rejected(write_raw(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", "abcd"),
                  "tensor \"w\" has no \"dtype\"");
  expect_rejected(write_raw(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", "abcd"),
                  "tensor \"w\" has no \"shape\"");
}

TEST_F(SafetensorsMalformed, UnknownDtype) {
  expect_rejected(
      write_raw(R"({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", "a"),
      "tensor \"w\" has unsupported dtype \"F8_E4M3\"");
}

TEST_F(SafetensorsMalformed, NegativeShape) {
  expect_rejected(
      write_raw(R"({"w": {"dtype": "U8", "shape": [-2, 3], "data_offsets": [0, 6]}})", "abcdef"),
      "tensor \"w\" has a negative shape entry -2");
}

TEST_F(SafetensorsMalformed, NonIntegerShape) {
  expect_rejected(
      write_raw(R"({"w": {"dtype": "U8", "shape": [2.5], "data_offsets": [0, 2]}})", "ab"),
      "has a shape entry that is not an integer: 2.5");
}

TEST_F(SafetensorsMalformed, ShapeElementCountOverflows) {
  expect_rejected(write_raw(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296],
                                 "data_offsets": [0, 4]}})",
                            "abcd"),
                  "tensor \"w\" has a shape whose element count overflows");
}

TEST_F(SafetensorsMalformed, OffsetsNotTwoIntegers) {
  expect_rejected(write_raw(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0]}})", "a"),
                  "data_offsets that are not two non-negative integers");
  expect_rejected(
      write_raw(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [-1, 0]}})", "a"),
      "data_offsets that are not two non-negative integers");
}

TEST_F(SafetensorsMalformed, EndBeforeBegin) {
  expect_rejected(
      write_raw(R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [8, 0]}})", "abcdefgh"),
      "tensor \"w\" has data_offsets whose end 0 is before its begin 8");
}

TEST_F(SafetensorsMalformed, TruncatedData) {
  expect_rejected(
      write_raw(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", "12345678"),
      "tensor \"w\" ends at byte 16 but the data section holds only 8 bytes");
}

TEST_F(SafetensorsMalformed, DtypeShapeMismatch) {
  expect_rejected(write_raw(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})",
                            "123456789012"),
                  "tensor \"w\" holds 12 bytes but dtype F32 with shape [2, 2] needs 4 x 4 bytes");
}

TEST_F(SafetensorsMalformed, OverlappingTensors) {
  expect_rejected(write_raw(R"({"a": {"dtype": "U8", "shape": [6], "data_offsets": [0, 6]},
                                "b": {"dtype": "U8", "shape": [6], "data_offsets": [4, 10]}})",
                            "0123456789"),
                  "tensors \"a\" [0, 6) and \"b\" [4, 10) overlap");
}

TEST_F(SafetensorsMalformed, HoleBetweenTensors) {
  expect_rejected(write_raw(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                "b": {"dtype": "U8", "shape": [4], "data_offsets": [6, 10]}})",
                            "0123456789"),
                  "data bytes [4, 6) belong to no tensor (a hole before \"b\")");
}

TEST_F(SafetensorsMalformed, BytesAfterTheLastTensor) {
  expect_rejected(
      write_raw(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", "0123456789"),
      "data bytes [4, 10) after the last tensor belong to no tensor");
}

TEST_F(SafetensorsMalformed, DuplicateTensorName) {
  expect_rejected(write_raw(R"({"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                                "w": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}})",
                            "0123"),
                  "header names \"w\" twice");
}

TEST_F(SafetensorsMalformed, MetadataValueNotAString) {
  expect_rejected(write_raw(R"({"__metadata__": {"format": "pt", "step": 3}})", ""),
                  "\"__metadata__\" value of \"step\" is not a string");
  expect_rejected(write_raw(R"({"__metadata__": ["pt"]})", ""),
                  "\"__metadata__\" is not a JSON object");
}

TEST_F(SafetensorsMalformed, NestingTooDeep) {
  expect_rejected(write_raw(std::string(100000, '[') + std::string(100000, ']'), ""),
                  "header nests JSON deeper than the safetensors format allows");
}

TEST_F(SafetensorsMalformed, MissingFileAndDirectory) {
  const std::string missing = scratch_.file("missing.safetensors");
  expect_rejected(missing, "cannot open for reading");
  expect_rejected(scratch_.path(), "not a regular file");
}

TEST_F(SafetensorsMalformed, BoolBytesOtherThanZeroOrOne) {
  const std::string path =
      write_raw(R"({"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}})",
                std::string("\x01\x00\x07", 3));
  const SafetensorsFile file = SafetensorsFile::open(path);
  try {
    file.tensor("m");
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("BOOL tensor \"m\" holds bytes other than 0 and 1"),
              std::string::npos)
        << error.what();
  }
}

TEST_F(SafetensorsMalformed, AbsentTensorNamesFileAndTensor) {
  const std::string path =
      write_raw(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", "a");
  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.find("nope"), nullptr);
  try {
    file.tensor("nope");
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path + ": has no tensor \"nope\""), std::string::npos) << message;
  }
}

TEST_F(SafetensorsMalformed, PaddedHeaderAndEmptyFileOfTensorsAreValid) {
  // Trailing spaces after the JSON are the format's padding, and a header with no tensors is a
  // valid (if useless) file: neither may be rejected.
  const SafetensorsFile padded = SafetensorsFile::open(
      write_raw(R"({"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}     )", "ab"));
  EXPECT_EQ(padded.tensor("w")[1].item<uint8_t>(), 'b');
  EXPECT_TRUE(SafetensorsFile::open(write_raw("{}", "")).tensors().empty());
}

TEST_F(SafetensorsMalformed, RandomCorruptionIsRejectedOrReadsInBounds) {
  // Flip bytes of a valid file (header and length prefix included) many times: every variant
  // either opens and reads all its tensors, or throws InputError; nothing else (a crash shows up
  // under the sanitizer build).
  SafetensorsWriter writer;
  writer.add("a", at::arange(6, at::kFloat).reshape({2, 3}));
  writer.add("b", at::ones({4}, at::kBool));
  writer.add("c", at::arange(3, at::kLong));
  writer.set_metadata("k", "v");
  const std::string valid_path = scratch_.file("valid.safetensors");
  writer.write(valid_path);
  std::ifstream in(valid_path, std::ios::binary);
  const std::string valid((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  std::mt19937 random(1234);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = valid;
    const int flips = 1 + static_cast<int>(random() % 3);
    for (int f = 0; f < flips; ++f) {
      // Mostly the length prefix and header, where the parser's checks live.
      const size_t at = random() % std::min<size_t>(bytes.size(), 8 + 200);
      bytes[at] = static_cast<char>(random() % 256);
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());  // and some truncations
    const std::string path = write_bytes(bytes);
    try {
      const SafetensorsFile file = SafetensorsFile::open(path);
      for (const auto& info : file.tensors()) {
        const at::Tensor tensor = file.tensor(info.name);
        EXPECT_EQ(static_cast<uint64_t>(tensor.nbytes()), info.data_end - info.data_begin);
        EXPECT_LE(info.data_end, file.data_section_bytes());
      }
    } catch (const InputError&) {
      ++rejected;
    }
    std::filesystem::remove(path);
  }
  EXPECT_GT(rejected, 150);  // the corruption really exercised the checks
}

}  // namespace
}  // namespace motionfarm::io
