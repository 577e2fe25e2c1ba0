// Writing and reading single safetensors files: every dtype bitwise, metadata, zero-copy views,
// and the public Wan2.1 tiny golden file.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "tests/support/test_paths.h"

namespace motionfarm::io {
namespace {

using motionfarm::testing::ScratchDir;

// Random bit patterns (NaNs and denormals included for the float types): the round trip must
// preserve bytes, not just values.
at::Tensor random_bits(SafetensorsDtype dtype, at::IntArrayRef shape) {
  int64_t numel = 1;
  for (int64_t extent : shape) numel *= extent;
  const auto scalar_type = to_scalar_type(dtype);
  if (dtype == SafetensorsDtype::BOOL) return at::randint(0, 2, shape, at::kByte).to(at::kBool);
  const int64_t bytes = numel * static_cast<int64_t>(element_size(dtype));
  return at::randint(0, 256, {bytes}, at::kByte).view(scalar_type).reshape(shape);
}

bool same_bytes(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor ca = a.contiguous();
  const at::Tensor cb = b.contiguous();
  return ca.scalar_type() == cb.scalar_type() && ca.sizes() == cb.sizes() &&
         std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

uint64_t header_length_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t prefix[8] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  return length;
}

const std::vector<SafetensorsDtype> kAllDtypes = {
    SafetensorsDtype::F64, SafetensorsDtype::F32, SafetensorsDtype::F16, SafetensorsDtype::BF16,
    SafetensorsDtype::I64, SafetensorsDtype::I32, SafetensorsDtype::I16, SafetensorsDtype::I8,
    SafetensorsDtype::U8,  SafetensorsDtype::BOOL};

TEST(SafetensorsDtype, NamesAndScalarTypesRoundTrip) {
  for (SafetensorsDtype dtype : kAllDtypes) {
    EXPECT_EQ(parse_safetensors_dtype(to_string(dtype)), dtype) << to_string(dtype);
    EXPECT_EQ(safetensors_dtype_of(to_scalar_type(dtype)), dtype) << to_string(dtype);
    EXPECT_EQ(element_size(dtype), at::elementSize(to_scalar_type(dtype))) << to_string(dtype);
  }
  EXPECT_EQ(to_scalar_type(SafetensorsDtype::BF16), at::kBFloat16);
  EXPECT_EQ(to_scalar_type(SafetensorsDtype::F16), at::kHalf);
  EXPECT_FALSE(parse_safetensors_dtype("F8_E4M3").has_value());
  EXPECT_FALSE(safetensors_dtype_of(at::kComplexFloat).has_value());
}

TEST(SafetensorsRoundTrip, EveryDtypeIsBitwiseEqual) {
  ScratchDir scratch("safetensors");
  std::vector<at::Tensor> originals;
  SafetensorsWriter writer;
  for (SafetensorsDtype dtype : kAllDtypes) {
    originals.push_back(random_bits(dtype, {3, 5, 2}));
    writer.add(std::string("t_") + to_string(dtype), originals.back());
  }
  writer.add("scalar", at::full({}, 2.5, at::kFloat));
  writer.add("empty", at::zeros({0, 4}, at::kHalf));
  const std::string path = scratch.file("all.safetensors");
  writer.write(path);

  const SafetensorsFile file = SafetensorsFile::open(path);
  ASSERT_EQ(file.tensors().size(), kAllDtypes.size() + 2);
  for (size_t i = 0; i < kAllDtypes.size(); ++i) {
    const std::string name = std::string("t_") + to_string(kAllDtypes[i]);
    const SafetensorsTensorInfo* info = file.find(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->dtype, kAllDtypes[i]);
    EXPECT_EQ(info->shape, (std::vector<int64_t>{3, 5, 2}));
    const at::Tensor loaded = file.tensor(name);
    EXPECT_EQ(loaded.device(), at::kCPU);
    EXPECT_TRUE(same_bytes(loaded, originals[i])) << name;
  }
  EXPECT_EQ(file.tensor("scalar").dim(), 0);
  EXPECT_EQ(file.tensor("scalar").item<float>(), 2.5f);
  EXPECT_EQ(file.tensor("empty").sizes(), (at::IntArrayRef{0, 4}));
  EXPECT_EQ(file.tensor("empty").scalar_type(), at::kHalf);
}

TEST(SafetensorsRoundTrip, LayoutKeepsEveryTensorAligned) {
  ScratchDir scratch("safetensors");
  SafetensorsWriter writer;
  writer.add("a", at::ones({3}, at::kByte));
  writer.add("b", at::ones({1}, at::kHalf));
  writer.add("c", at::arange(2, at::kDouble));
  writer.add("d", at::arange(1, at::kFloat));
  writer.add("e", at::ones({3}, at::kBFloat16));
  const std::string path = scratch.file("order.safetensors");
  writer.write(path);
  EXPECT_EQ(header_length_of(path) % 8, 0u);
  const SafetensorsFile file = SafetensorsFile::open(path);
  ASSERT_EQ(file.tensors().size(), 5u);
  EXPECT_EQ(file.tensors()[0].name, "a");  // tensors() is sorted by name, not by offset
  // Largest element first, then name: c (F64) d (F32) b (F16) e (BF16) a (U8).
  EXPECT_EQ(file.find("c")->data_begin, 0u);
  EXPECT_EQ(file.find("d")->data_begin, 16u);
  EXPECT_EQ(file.find("b")->data_begin, 20u);
  EXPECT_EQ(file.find("e")->data_begin, 22u);
  EXPECT_EQ(file.find("a")->data_begin, 28u);
  EXPECT_EQ(file.data_section_bytes(), 31u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(file.data_section()) % 8, 0u);
  for (const auto& info : file.tensors()) {
    EXPECT_EQ(file.tensor(info.name).data_ptr(), file.data_section() + info.data_begin)
        << info.name << " was copied, not viewed";
  }
  // Nothing but the file itself is left in the folder: the temporary was renamed into place.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(SafetensorsRoundTrip, MetadataRoundTrips) {
  ScratchDir scratch("safetensors");
  SafetensorsWriter writer;
  writer.add("w", at::ones({2}, at::kFloat));
  writer.set_metadata("format", "pt");
  writer.set_metadata("note", "ünïcode \"quoted\"");
  writer.set_metadata("format", "pt2");  // replaces
  const std::string path = scratch.file("meta.safetensors");
  writer.write(path);
  const SafetensorsFile file = SafetensorsFile::open(path);
  const std::map<std::string, std::string> expected = {{"format", "pt2"},
                                                       {"note", "ünïcode \"quoted\""}};
  EXPECT_EQ(file.metadata(), expected);
  EXPECT_FALSE(file.contains("__metadata__"));
}

TEST(SafetensorsRoundTrip, WriterCopiesAtAdd) {
  ScratchDir scratch("safetensors");
  at::Tensor source = at::arange(6, at::kFloat).reshape({2, 3});
  SafetensorsWriter writer;
  writer.add("w", source.t());  // non-contiguous input is written in logical order
  source.fill_(-1);
  const std::string path = scratch.file("copy.safetensors");
  writer.write(path);
  const at::Tensor loaded = SafetensorsFile::open(path).tensor("w");
  EXPECT_TRUE(at::equal(loaded, at::arange(6, at::kFloat).reshape({2, 3}).t()));
}

TEST(SafetensorsRoundTrip, WriterRejectsBadInput) {
  SafetensorsWriter writer;
  writer.add("w", at::ones({2}));
  auto expect_error = [](auto&& call, const std::string& text) {
    try {
      call();
      ADD_FAILURE() << "expected an Error containing: " << text;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(text), std::string::npos) << error.what();
    }
  };
  expect_error([&] { writer.add("w", at::ones({2})); }, "tensor \"w\" was already added");
  expect_error([&] { writer.add("z", at::ones({2}, at::kComplexFloat)); },
               "which safetensors files cannot hold");
  expect_error([&] { writer.add("__metadata__", at::ones({2})); }, "is reserved");
  expect_error([&] { writer.add("u", at::Tensor()); }, "tensor \"u\" is undefined");
  expect_error([&] { writer.add("", at::ones({2})); }, "non-empty name");
  expect_error([&] { writer.write("/nonexistent-motionfarm-dir/x.safetensors"); },
               "/nonexistent-motionfarm-dir/x.safetensors: cannot create");
}

TEST(SafetensorsZeroCopy, TensorViewsTheMappingAndOutlivesTheFile) {
  ScratchDir scratch("safetensors");
  const at::Tensor expected = at::randn({64, 32});
  SafetensorsWriter writer;
  writer.add("a", at::ones({3}, at::kBFloat16));
  writer.add("w", expected);
  const std::string path = scratch.file("zero.safetensors");
  writer.write(path);

  at::Tensor loaded;
  at::Tensor half;
  {
    const SafetensorsFile file = SafetensorsFile::open(path);
    loaded = file.tensor("w");
    half = file.tensor("a");
    const auto* begin = file.data_section();
    const auto* data = static_cast<const uint8_t*>(loaded.data_ptr());
    EXPECT_EQ(data, begin + file.find("w")->data_begin);
    EXPECT_GE(data, begin);
    EXPECT_LE(data + loaded.nbytes(), begin + file.data_section_bytes());
    EXPECT_EQ(half.scalar_type(), at::kBFloat16);
    EXPECT_EQ(static_cast<const uint8_t*>(half.data_ptr()), begin + file.find("a")->data_begin);
  }
  // The SafetensorsFile is gone; the tensors still hold the mapping.
  EXPECT_TRUE(at::equal(loaded, expected));
  EXPECT_TRUE(at::equal(half.to(at::kFloat), at::ones({3})));

  // The mapping is copy-on-write: writing into a view changes this process's copy, not the file.
  loaded.fill_(7);
  EXPECT_TRUE(at::equal(SafetensorsFile::open(path).tensor("w"), expected));
}

TEST(SafetensorsZeroCopy, UnalignedDataIsCopiedNotViewed) {
  ScratchDir scratch("safetensors");
  // A 45-byte header puts the data section at byte 53: misaligned for F32, as some old writers
  // without padding produce.
  const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_NE((8 + header.size()) % 4, 0u);
  const float values[2] = {1.5f, -2.25f};
  const std::string path = scratch.file("unaligned.safetensors");
  {
    std::ofstream out(path, std::ios::binary);
    const uint64_t length = header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header;
    out.write(reinterpret_cast<const char*>(values), sizeof(values));
  }
  const SafetensorsFile file = SafetensorsFile::open(path);
  const at::Tensor loaded = file.tensor("w");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded.data_ptr()) % 4, 0u);
  EXPECT_TRUE(at::equal(loaded, at::tensor({1.5f, -2.25f})));
}

TEST(SafetensorsGolden, ReadsWan21TinyWeights) {
  const std::string path = motionfarm::testing::shared_dir() + "/golden/wan21_t2v_tiny.safetensors";
  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.tensors().size(), 69u);
  const SafetensorsTensorInfo* patch = file.find("patch_embedding.weight");
  ASSERT_NE(patch, nullptr);
  EXPECT_EQ(patch->dtype, SafetensorsDtype::F32);
  EXPECT_EQ(patch->shape, (std::vector<int64_t>{128, 16, 1, 2, 2}));
  const at::Tensor weight = file.tensor("patch_embedding.weight");
  EXPECT_EQ(weight.sizes(), (at::IntArrayRef{128, 16, 1, 2, 2}));
  EXPECT_TRUE(weight.isfinite().all().item<bool>());
  EXPECT_GT(weight.abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(file.contains("blocks.1.ffn.2.weight"));
  EXPECT_TRUE(file.contains("head.modulation"));
  EXPECT_FALSE(file.contains("blocks.2.ffn.2.weight"));  // two layers only

  const SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(path);
  EXPECT_EQ(checkpoint.tensors().size(), 69u);
  EXPECT_EQ(checkpoint.file_of("patch_embedding.weight"), path);
  EXPECT_TRUE(at::equal(checkpoint.tensor("patch_embedding.weight"), weight));
}

}  // namespace
}  // namespace motionfarm::io
