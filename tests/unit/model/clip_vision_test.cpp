// The CLIP vision tower against the public reference's golden vectors (the tower alone, and with
// the I2V pipeline's resize and normalisation), from the tower's own names and the released
// checkpoint's `visual.` prefix; and its config.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "io/safetensors_writer.h"
#include "model/clip_config.h"
#include "model/clip_vision_encoder.h"
#include "model/encoder_checkpoint.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/encoder_test_support.h"

namespace motionfarm::model {
namespace {

using testing::encoder_golden_path;
using testing::expect_close_to_reference;

ClipVisionConfig golden_config() {
  return load_clip_vision_config_file(encoder_golden_path("clip_vit_tiny.json"));
}

io::SafetensorsCheckpoint golden_weights() {
  return io::SafetensorsCheckpoint::open(encoder_golden_path("clip_vit_tiny.safetensors"));
}

io::SafetensorsCheckpoint golden_io() {
  return io::SafetensorsCheckpoint::open(encoder_golden_path("clip_vit_tiny.io.safetensors"));
}

TEST(ClipVisionEncoder, TowerMatchesTheReferenceGoldenOutput) {
  const ClipVisionEncoder encoder = ClipVisionEncoder::load(golden_weights(), golden_config());
  const auto io = golden_io();
  expect_close_to_reference(encoder.forward_tower(io.tensor("normalized")), io.tensor("out_tower"));
}

TEST(ClipVisionEncoder, PixelsThroughResizeAndNormalisationMatchTheReference) {
  const ClipVisionEncoder encoder = ClipVisionEncoder::load(golden_weights(), golden_config());
  const auto io = golden_io();
  ASSERT_EQ(io.tensor("pixels").sizes(), (std::vector<int64_t>{1, 3, 64, 88}));
  expect_close_to_reference(encoder.preprocess(io.tensor("pixels")), io.tensor("normalized"));
  const at::Tensor out = encoder.encode(io.tensor("pixels"));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 17, 32}));
  expect_close_to_reference(out, io.tensor("out"));
}

TEST(ClipVisionEncoder, LoadsTheReleasedVisualPrefixToTheSameOutput) {
  const auto tower = golden_weights();
  motionfarm::testing::ScratchDir folder("clip-visual");
  io::SafetensorsWriter writer;
  for (const auto& info : tower.tensors())
    writer.add("visual." + info.name, tower.tensor(info.name));
  // The release also holds the text tower and the logit scale, which the features ignore.
  writer.add("textual.token_embedding.weight", at::zeros({10, 8}));
  writer.add("log_scale", at::ones({}));
  writer.write(folder.file("clip.safetensors"));
  const auto released = io::SafetensorsCheckpoint::open(folder.file("clip.safetensors"));
  EXPECT_EQ(EncoderCheckpoint(released, EncoderKind::kClipVision).layout(),
            EncoderLayout::kVisualPrefix);
  const at::Tensor pixels = golden_io().tensor("pixels");
  EXPECT_TRUE(at::equal(ClipVisionEncoder::load(tower, golden_config()).encode(pixels),
                        ClipVisionEncoder::load(released, golden_config()).encode(pixels)));
}

TEST(ClipVisionEncoder, FeaturesComeFromTheSecondToLastBlock) {
  // The last block's weights do not change use_31_block features; without it they do.
  ClipVisionConfig all_blocks = golden_config();
  all_blocks.use_31_block = false;
  const auto io = golden_io();
  const at::Tensor through_all =
      ClipVisionEncoder::load(golden_weights(), all_blocks).forward_tower(io.tensor("normalized"));
  EXPECT_GT((through_all - io.tensor("out_tower")).abs().max().item<double>(), 1e-3);
}

TEST(ClipVisionEncoder, WrongArchitectureIsRejected) {
  ClipVisionConfig wider = golden_config();
  wider.dim = 64;
  wider.num_heads = 4;
  EXPECT_THROW(ClipVisionEncoder::load(golden_weights(), wider), ModelError);
  ClipVisionConfig shallower = golden_config();
  shallower.num_layers = 2;
  EXPECT_THROW(ClipVisionEncoder::load(golden_weights(), shallower), ModelError);
  const auto umt5 = io::SafetensorsCheckpoint::open(encoder_golden_path("umt5_tiny.safetensors"));
  try {
    ClipVisionEncoder::load(umt5, golden_config());
    FAIL() << "a umT5 file was accepted as a CLIP tower";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("does not hold a CLIP vision tower"),
              std::string::npos)
        << error.what();
  }
  const ClipVisionEncoder encoder = ClipVisionEncoder::load(golden_weights(), golden_config());
  EXPECT_THROW(encoder.forward_tower(at::zeros({1, 3, 64, 64})), ModelError);
  EXPECT_THROW(encoder.encode(at::zeros({1, 4, 64, 64})), ModelError);
}

TEST(ClipVisionConfig, ReadsTheGoldenJsonAndHasTheVitH14Preset) {
  const ClipVisionConfig tiny = golden_config();
  EXPECT_EQ(tiny.image_size, 56);
  EXPECT_EQ(tiny.patch_size, 14);
  EXPECT_EQ(tiny.dim, 32);
  EXPECT_EQ(tiny.num_layers, 3);
  EXPECT_EQ(tiny.activation, "gelu");
  EXPECT_TRUE(tiny.use_31_block);
  EXPECT_EQ(tiny.tokens(), 17);
  const ClipVisionConfig vit_h = clip_vit_h_14_config();
  EXPECT_EQ(vit_h.image_size, 224);
  EXPECT_EQ(vit_h.patch_size, 14);
  EXPECT_EQ(vit_h.dim, 1280);
  EXPECT_EQ(vit_h.num_heads, 16);
  EXPECT_EQ(vit_h.num_layers, 32);
  EXPECT_EQ(vit_h.mlp_dim(), 5120);
  EXPECT_EQ(vit_h.tokens(), 257);
  EXPECT_EQ(vit_h.blocks_used(), 31);
  EXPECT_NO_THROW(vit_h.validate());
}

TEST(ClipVisionConfig, RejectsWhatItCannotRun) {
  motionfarm::testing::ScratchDir folder("clip-config");
  const auto load = [&](const std::string& text) {
    std::ofstream(folder.file("config.yaml")) << text;
    return load_clip_vision_config_file(folder.file("config.yaml"));
  };
  EXPECT_EQ(load("activation: quick_gelu\n").activation, "quick_gelu");
  EXPECT_THROW(load("activation: swi_glu\n"), ConfigError);
  EXPECT_THROW(load("image_size: 100\n"), ConfigError);
  EXPECT_THROW(load("mean: [0.5, 0.5]\n"), ConfigError);
  EXPECT_THROW(load("module: umt5_encoder\n"), ConfigError);
  EXPECT_THROW(load("heads: 16\n"), ConfigError);
}

}  // namespace
}  // namespace motionfarm::model
