// Sharded checkpoints: writing shards plus index, reading through the index or the directory,
// and the index mistakes that must be reported rather than papered over.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "tests/support/test_paths.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;

std::vector<std::pair<std::string, at::Tensor>> sample_tensors() {
  // 400, 400, 200, 1000 and 40 bytes: with a 800-byte limit the greedy fill gives
  // [a, b] [c] [d: larger than the limit, alone] [e].
  return {{"blocks.0.a", at::randn({100})},
          {"blocks.0.b", at::randn({10, 10})},
          {"blocks.1.c", at::randint(0, 100, {25}, at::kLong)},
          {"blocks.1.d", at::randn({500}).to(at::kBFloat16)},
          {"head.e", at::randn({20}).to(at::kHalf)}};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

template <class Call>
void expect_input_error(Call&& call, const std::string& text) {
  try {
    call();
    ADD_FAILURE() << "expected InputError containing: " << text;
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(text), std::string::npos) << error.what();
  }
}

void expect_same_checkpoint(const SafetensorsCheckpoint& checkpoint,
                            const std::vector<std::pair<std::string, at::Tensor>>& expected) {
  const auto infos = checkpoint.tensors();
  ASSERT_EQ(infos.size(), expected.size());
  for (size_t i = 0; i + 1 < infos.size(); ++i) EXPECT_LT(infos[i].name, infos[i + 1].name);
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(checkpoint.contains(name)) << name;
    const at::Tensor loaded = checkpoint.tensor(name);
    EXPECT_EQ(loaded.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(at::equal(loaded, tensor)) << name;
    EXPECT_EQ(checkpoint.find(name)->shape, tensor.sizes().vec()) << name;
  }
  EXPECT_FALSE(checkpoint.contains("missing"));
  EXPECT_EQ(checkpoint.find("missing"), nullptr);
}

TEST(SafetensorsCheckpoint, ShardedWriteAndReadThroughTheIndex) {
  ScratchDir scratch("safetensors-shards");
  const auto tensors = sample_tensors();
  const std::string folder = scratch.file("model");
  const std::string index =
      write_sharded_safetensors(folder, "diffusion_pytorch_model", tensors, 800);
  EXPECT_EQ(index, folder + "/diffusion_pytorch_model.safetensors.index.json");
  for (int shard = 1; shard <= 4; ++shard) {
    EXPECT_TRUE(fs::exists(folder + "/diffusion_pytorch_model-0000" + std::to_string(shard) +
                           "-of-00004.safetensors"))
        << shard;
  }
  EXPECT_FALSE(fs::exists(folder + "/diffusion_pytorch_model-00005-of-00005.safetensors"));

  const SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(index);
  expect_same_checkpoint(checkpoint, tensors);
  EXPECT_EQ(checkpoint.files().size(), 4u);
  EXPECT_EQ(checkpoint.file_of("blocks.0.b"),
            folder + "/diffusion_pytorch_model-00001-of-00004.safetensors");
  EXPECT_EQ(checkpoint.file_of("blocks.1.d"),
            folder + "/diffusion_pytorch_model-00003-of-00004.safetensors");
  EXPECT_EQ(checkpoint.file_of("head.e"),
            folder + "/diffusion_pytorch_model-00004-of-00004.safetensors");

  std::ifstream in(index);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"total_size\": 2040"), std::string::npos) << text;
  EXPECT_NE(text.find("\"weight_map\""), std::string::npos) << text;
}

TEST(SafetensorsCheckpoint, ReadsThroughTheDirectory) {
  ScratchDir scratch("safetensors-shards");
  const auto tensors = sample_tensors();
  write_sharded_safetensors(scratch.path(), "model", tensors, 800);
  const SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(scratch.path());
  expect_same_checkpoint(checkpoint, tensors);
  EXPECT_EQ(checkpoint.path(), scratch.path());
}

TEST(SafetensorsCheckpoint, SingleFileByPathAndByDirectory) {
  ScratchDir scratch("safetensors-shards");
  const auto tensors = sample_tensors();
  SafetensorsWriter writer;
  for (const auto& [name, tensor] : tensors) writer.add(name, tensor);
  const std::string path = scratch.file("model.safetensors");
  writer.write(path);
  expect_same_checkpoint(SafetensorsCheckpoint::open(path), tensors);
  const SafetensorsCheckpoint by_directory = SafetensorsCheckpoint::open(scratch.path());
  expect_same_checkpoint(by_directory, tensors);
  EXPECT_EQ(by_directory.file_of("head.e"), path);
  expect_input_error([&] { by_directory.tensor("nope"); },
                     scratch.path() + ": checkpoint has no tensor \"nope\"");
  expect_input_error([&] { by_directory.file_of("nope"); }, "checkpoint has no tensor \"nope\"");
}

TEST(SafetensorsCheckpoint, TensorsKeepTheirShardMapped) {
  ScratchDir scratch("safetensors-shards");
  const auto tensors = sample_tensors();
  const std::string index = write_sharded_safetensors(scratch.path(), "m", tensors, 800);
  at::Tensor loaded;
  {
    const SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(index);
    loaded = checkpoint.tensor("blocks.0.b");
    const SafetensorsFile& shard = checkpoint.files().front();
    EXPECT_EQ(static_cast<const uint8_t*>(loaded.data_ptr()),
              shard.data_section() + shard.find("blocks.0.b")->data_begin);
  }
  EXPECT_TRUE(at::equal(loaded, tensors[1].second));
}

TEST(SafetensorsCheckpoint, DirectoryMustHoldOneIndexOrOneFile) {
  ScratchDir scratch("safetensors-shards");
  expect_input_error([&] { SafetensorsCheckpoint::open(scratch.path()); },
                     "holds no .safetensors file and no .safetensors.index.json");
  SafetensorsWriter writer;
  writer.add("w", at::ones({2}));
  writer.write(scratch.file("a.safetensors"));
  writer.write(scratch.file("b.safetensors"));
  expect_input_error([&] { SafetensorsCheckpoint::open(scratch.path()); },
                     "holds 2 .safetensors files (a.safetensors, b.safetensors) and no");
  expect_input_error([&] { SafetensorsCheckpoint::open(scratch.file("none")); },
                     "none: no such file or directory");
  write_text(scratch.file("x.safetensors.index.json"), "{}");
  write_text(scratch.file("y.safetensors.index.json"), "{}");
  expect_input_error([&] { SafetensorsCheckpoint::open(scratch.path()); },
                     "holds 2 safetensors indexes");
}

TEST(SafetensorsCheckpoint, MissingShard) {
  ScratchDir scratch("safetensors-shards");
  const std::string index = write_sharded_safetensors(scratch.path(), "m", sample_tensors(), 800);
  fs::remove(scratch.file("m-00002-of-00004.safetensors"));
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     index +
                         ": weight_map names shard \"m-00002-of-00004.safetensors\", which "
                         "does not exist");
}

TEST(SafetensorsCheckpoint, TensorListedButAbsentFromItsShard) {
  ScratchDir scratch("safetensors-shards");
  SafetensorsWriter writer;
  writer.add("a", at::ones({2}));
  writer.write(scratch.file("s1.safetensors"));
  const std::string index = scratch.file("m.safetensors.index.json");
  write_text(index, R"({"metadata": {}, "weight_map": {"a": "s1.safetensors",
                                                       "ghost": "s1.safetensors"}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "weight_map puts \"ghost\" in s1.safetensors, which has no such tensor");
}

TEST(SafetensorsCheckpoint, TensorStoredInTwoShards) {
  ScratchDir scratch("safetensors-shards");
  SafetensorsWriter first;
  first.add("a", at::ones({2}));
  first.write(scratch.file("s1.safetensors"));
  SafetensorsWriter second;
  second.add("a", at::zeros({2}));
  second.add("b", at::zeros({2}));
  second.write(scratch.file("s2.safetensors"));
  const std::string index = scratch.file("m.safetensors.index.json");
  write_text(index, R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "tensor \"a\" is stored in two shards");
}

TEST(SafetensorsCheckpoint, MalformedIndex) {
  ScratchDir scratch("safetensors-shards");
  const std::string index = scratch.file("m.safetensors.index.json");
  write_text(index, "{\"weight_map\": ");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); }, "index is not valid JSON");
  write_text(index, R"({"metadata": {}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "index has no \"weight_map\" object");
  write_text(index, R"({"weight_map": {"a": 3}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "weight_map entry \"a\" is not a file name string");
  write_text(index, R"({"weight_map": {"a": "../elsewhere.safetensors"}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "which is not a file name inside the index's folder");
  write_text(index, R"({"weight_map": {"a": "/etc/passwd"}})");
  expect_input_error([&] { SafetensorsCheckpoint::open(index); },
                     "which is not a file name inside the index's folder");
}

TEST(SafetensorsCheckpoint, ShardedWriterRejectsBadInput) {
  ScratchDir scratch("safetensors-shards");
  auto tensors = sample_tensors();
  EXPECT_THROW(write_sharded_safetensors(scratch.path(), "m", {}, 800), Error);
  EXPECT_THROW(write_sharded_safetensors(scratch.path(), "m", tensors, 0), Error);
  tensors.push_back(tensors.front());
  try {
    write_sharded_safetensors(scratch.path(), "m", tensors, 800);
    ADD_FAILURE() << "expected an Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("tensor \"blocks.0.a\" appears twice"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace motionfarm::io
