// The umT5 text encoder against the public reference's golden vectors, loaded from the native Wan
// names and from the Hugging Face UMT5EncoderModel names; its config; and the bucketing of
// relative positions.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "io/safetensors_writer.h"
#include "model/encoder_checkpoint.h"
#include "model/umt5_config.h"
#include "model/umt5_encoder.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/encoder_test_support.h"

namespace motionfarm::model {
namespace {

using testing::encoder_golden_path;
using testing::expect_close_to_reference;

Umt5Config golden_config() { return load_umt5_config_file(encoder_golden_path("umt5_tiny.json")); }

io::SafetensorsCheckpoint golden_weights() {
  return io::SafetensorsCheckpoint::open(encoder_golden_path("umt5_tiny.safetensors"));
}

io::SafetensorsCheckpoint golden_io() {
  return io::SafetensorsCheckpoint::open(encoder_golden_path("umt5_tiny.io.safetensors"));
}

// The Hugging Face name of a native umT5 tensor, spelt out here independently of the loader's
// table (transformers' UMT5EncoderModel: wi_0 is the GELU gate, wi_1 the linear branch).
std::string hugging_face_name(const std::string& native) {
  const std::vector<std::pair<std::string, std::string>> block_names = {
      {"norm1.weight", "layer.0.layer_norm.weight"},
      {"attn.q.weight", "layer.0.SelfAttention.q.weight"},
      {"attn.k.weight", "layer.0.SelfAttention.k.weight"},
      {"attn.v.weight", "layer.0.SelfAttention.v.weight"},
      {"attn.o.weight", "layer.0.SelfAttention.o.weight"},
      {"pos_embedding.embedding.weight", "layer.0.SelfAttention.relative_attention_bias.weight"},
      {"norm2.weight", "layer.1.layer_norm.weight"},
      {"ffn.gate.0.weight", "layer.1.DenseReluDense.wi_0.weight"},
      {"ffn.fc1.weight", "layer.1.DenseReluDense.wi_1.weight"},
      {"ffn.fc2.weight", "layer.1.DenseReluDense.wo.weight"},
  };
  if (native == "token_embedding.weight") return "shared.weight";
  if (native == "norm.weight") return "encoder.final_layer_norm.weight";
  for (int layer = 0; layer < 2; ++layer) {
    const std::string prefix = "blocks." + std::to_string(layer) + ".";
    for (const auto& [wan, hf] : block_names) {
      if (native == prefix + wan) return "encoder.block." + std::to_string(layer) + "." + hf;
    }
  }
  ADD_FAILURE() << "no Hugging Face name for " << native;
  return native;
}

TEST(Umt5Encoder, MatchesTheReferenceGoldenOutput) {
  const Umt5Encoder encoder = Umt5Encoder::load(golden_weights(), golden_config());
  const auto io = golden_io();
  const at::Tensor out = encoder.forward(io.tensor("ids"), io.tensor("mask"));
  expect_close_to_reference(out, io.tensor("out"));
}

TEST(Umt5Encoder, LoadsHuggingFaceNamesToTheSameOutput) {
  const auto native = golden_weights();
  motionfarm::testing::ScratchDir folder("umt5-hf");
  io::SafetensorsWriter writer;
  for (const auto& info : native.tensors()) {
    writer.add(hugging_face_name(info.name), native.tensor(info.name));
  }
  // transformers also writes the tied copy of the embedding under the encoder's name.
  writer.add("encoder.embed_tokens.weight", native.tensor("token_embedding.weight"));
  writer.write(folder.file("model.safetensors"));
  const auto hf = io::SafetensorsCheckpoint::open(folder.file("model.safetensors"));
  EXPECT_EQ(EncoderCheckpoint(hf, EncoderKind::kUmt5).layout(), EncoderLayout::kHuggingFace);

  const auto io = golden_io();
  const at::Tensor from_native =
      Umt5Encoder::load(native, golden_config()).forward(io.tensor("ids"), io.tensor("mask"));
  const at::Tensor from_hf =
      Umt5Encoder::load(hf, golden_config()).forward(io.tensor("ids"), io.tensor("mask"));
  EXPECT_TRUE(at::equal(from_native, from_hf));
}

TEST(Umt5Encoder, NameTableCoversBothHuggingFaceEmbeddingNames) {
  EXPECT_EQ(encoder_stored_names(EncoderKind::kUmt5, EncoderLayout::kHuggingFace,
                                 "token_embedding.weight"),
            (std::vector<std::string>{"shared.weight", "encoder.embed_tokens.weight"}));
  EXPECT_EQ(encoder_stored_names(EncoderKind::kUmt5, EncoderLayout::kHuggingFace,
                                 "blocks.23.ffn.gate.0.weight"),
            (std::vector<std::string>{"encoder.block.23.layer.1.DenseReluDense.wi_0.weight"}));
  EXPECT_THROW(
      encoder_stored_names(EncoderKind::kUmt5, EncoderLayout::kHuggingFace, "blocks.0.bogus"),
      ModelError);
}

TEST(Umt5Encoder, EncodingRealTokensEqualsThePaddedForward) {
  const Umt5Encoder encoder = Umt5Encoder::load(golden_weights(), golden_config());
  const auto io = golden_io();
  const at::Tensor padded = encoder.forward(io.tensor("ids"), io.tensor("mask"));
  for (int64_t row = 0; row < 2; ++row) {
    const int64_t length = io.tensor("mask")[row].sum().item<int64_t>();
    ASSERT_LT(length, 16) << "the golden rows have padding";
    const at::Tensor ids = io.tensor("ids")[row].narrow(0, 0, length).to(at::kLong);
    expect_close_to_reference(encoder.encode_tokens(ids), padded[row].narrow(0, 0, length), 1e-5);
  }
}

TEST(Umt5Encoder, Bfloat16WeightsStayCloseToFloat32) {
  EncoderLoadOptions options;
  options.dtype = at::kBFloat16;
  const auto io = golden_io();
  const at::Tensor out = Umt5Encoder::load(golden_weights(), golden_config(), options)
                             .forward(io.tensor("ids"), io.tensor("mask"));
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  const at::Tensor mask = io.tensor("mask").unsqueeze(-1);
  const at::Tensor reference = io.tensor("out") * mask;
  const at::Tensor error = (out.to(at::kFloat) * mask - reference).abs();
  // bfloat16 keeps 8 bits of mantissa; T5's unscaled logits amplify that through the softmax.
  // Typical errors stay near 1% of the states' size, the worst within 10%.
  const double scale = reference.abs().max().item<double>();
  EXPECT_LT(error.mean().item<double>(), 0.01 * scale);
  EXPECT_LT(error.max().item<double>(), 0.1 * scale);
  EXPECT_GT(error.max().item<double>(), 0.0) << "the weights were not converted";
}

TEST(Umt5Encoder, WrongArchitectureIsRejectedWithTheTensorName) {
  Umt5Config wider = golden_config();
  wider.dim = 128;
  try {
    Umt5Encoder::load(golden_weights(), wider);
    FAIL() << "weights of another width were accepted";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("token_embedding.weight"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("[384, 64]"), std::string::npos) << error.what();
  }
  Umt5Config shallower = golden_config();
  shallower.num_layers = 1;
  EXPECT_THROW(Umt5Encoder::load(golden_weights(), shallower), ModelError);
  const auto clip =
      io::SafetensorsCheckpoint::open(encoder_golden_path("clip_vit_tiny.safetensors"));
  EXPECT_THROW(Umt5Encoder::load(clip, golden_config()), ModelError);
}

TEST(Umt5Encoder, TokenIdsOutsideTheVocabularyAreRejected) {
  const Umt5Encoder encoder = Umt5Encoder::load(golden_weights(), golden_config());
  const at::Tensor ids = at::full({1, 3}, 384, at::kLong);
  EXPECT_THROW(encoder.forward(ids, at::ones({1, 3})), ModelError);
}

TEST(Umt5RelativePosition, BucketsMatchTheReferenceFormula) {
  // num_buckets 32, max_dist 128: 16 buckets per direction, 8 exact, key - query > 0 in the
  // upper half; 8 + floor(log(d / 8) / log(16) * 8) for larger distances, capped at 15.
  const at::Tensor buckets = umt5_relative_position_buckets(1, 300, 32, 128, at::kCPU);
  const at::Tensor backwards = umt5_relative_position_buckets(300, 1, 32, 128, at::kCPU);
  const auto forward_bucket = [&](int64_t d) { return buckets[0][d].item<int64_t>(); };
  const auto backward_bucket = [&](int64_t d) { return backwards[d][0].item<int64_t>(); };
  EXPECT_EQ(forward_bucket(0), 0);
  EXPECT_EQ(forward_bucket(1), 17);
  EXPECT_EQ(forward_bucket(7), 23);
  EXPECT_EQ(forward_bucket(8), 24);
  EXPECT_EQ(forward_bucket(12), 25);  // 8 + floor(1.17)
  EXPECT_EQ(forward_bucket(50), 29);  // 8 + floor(5.29)
  EXPECT_EQ(forward_bucket(127), 31);
  EXPECT_EQ(forward_bucket(299), 31);
  EXPECT_EQ(backward_bucket(1), 1);
  EXPECT_EQ(backward_bucket(8), 8);
  EXPECT_EQ(backward_bucket(20), 10);  // 8 + floor(2.64)
  EXPECT_EQ(backward_bucket(299), 15);
}

TEST(Umt5Config, ReadsTheGoldenJsonAndHasTheXxlPreset) {
  const Umt5Config tiny = golden_config();
  EXPECT_EQ(tiny.vocab, 384);
  EXPECT_EQ(tiny.dim, 64);
  EXPECT_EQ(tiny.dim_ffn, 160);
  EXPECT_EQ(tiny.num_heads, 4);
  EXPECT_EQ(tiny.num_layers, 2);
  EXPECT_EQ(tiny.num_buckets, 32);
  EXPECT_EQ(tiny.max_dist, 128);
  EXPECT_DOUBLE_EQ(tiny.eps, 1e-6);
  const Umt5Config xxl = umt5_xxl_config();
  EXPECT_EQ(xxl.vocab, 256384);
  EXPECT_EQ(xxl.dim, 4096);
  EXPECT_EQ(xxl.dim_attn, 4096);
  EXPECT_EQ(xxl.dim_ffn, 10240);
  EXPECT_EQ(xxl.num_heads, 64);
  EXPECT_EQ(xxl.head_dim(), 64);
  EXPECT_EQ(xxl.num_layers, 24);
  EXPECT_EQ(xxl.num_buckets, 32);
  EXPECT_EQ(xxl.text_len, 512);
  EXPECT_NO_THROW(xxl.validate());
}

TEST(Umt5Config, RejectsWhatItCannotRun) {
  motionfarm::testing::ScratchDir folder("umt5-config");
  const auto load = [&](const std::string& text) {
    std::ofstream(folder.file("config.yaml")) << text;
    return load_umt5_config_file(folder.file("config.yaml"));
  };
  EXPECT_EQ(load("dim: 32\ndim_attn: 32\nnum_heads: 4\ntext_len: 16\n").text_len, 16);
  EXPECT_THROW(load("dimm: 32\n"), ConfigError);
  EXPECT_THROW(load("shared_pos: true\n"), ConfigError);
  EXPECT_THROW(load("module: clip_vision\n"), ConfigError);
  EXPECT_THROW(load("dim_attn: 100\nnum_heads: 64\n"), ConfigError);
  EXPECT_THROW(load("num_buckets: 31\n"), ConfigError);
  EXPECT_THROW(load_umt5_config_file(folder.file("missing.yaml")), ConfigError);
}

}  // namespace
}  // namespace motionfarm::model
