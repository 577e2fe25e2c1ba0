#include "model/wan_dit_weights.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "io/safetensors_writer.h"
#include "model/checkpoint_names.h"
#include "model/wan_dit.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/golden_dit.h"

namespace motionfarm::model {
namespace {

constexpr const char* kCase = "wan21_t2v_tiny";

std::map<std::string, at::Tensor> golden_tensors() {
  const io::SafetensorsCheckpoint checkpoint = testing::golden_weights(kCase);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& info : checkpoint.tensors()) tensors[info.name] = checkpoint.tensor(info.name);
  return tensors;
}

// Writes `tensors` (native names) under `layout`'s names into one file in `dir`.
std::string write_as(const std::map<std::string, at::Tensor>& tensors, CheckpointLayout layout,
                     const motionfarm::testing::ScratchDir& dir) {
  io::SafetensorsWriter writer;
  for (const auto& [name, tensor] : tensors) writer.add(from_native_name(name, layout), tensor);
  const std::string path = dir.file(std::string(checkpoint_layout_name(layout)) + ".safetensors");
  writer.write(path);
  return path;
}

TEST(WanDiTWeights, ComfyUIAndDiffusersCheckpointsGiveTheNativeOutput) {
  const WanDiTConfig config = testing::golden_config(kCase);
  const DiTInputs inputs = testing::golden_inputs(kCase);
  const WanDiT native(config, WanDiTWeights::load(testing::golden_weights(kCase), config));
  const at::Tensor expected = native.forward(inputs);

  motionfarm::testing::ScratchDir dir("dit-names");
  for (CheckpointLayout layout : {CheckpointLayout::kComfyUI, CheckpointLayout::kDiffusers}) {
    SCOPED_TRACE(checkpoint_layout_name(layout));
    const auto checkpoint =
        io::SafetensorsCheckpoint::open(write_as(golden_tensors(), layout, dir));
    const WanDiTWeights weights = WanDiTWeights::load(checkpoint, config);
    EXPECT_EQ(weights.source_layout(), layout);
    const WanDiT model(config, weights);
    EXPECT_TRUE(at::equal(model.forward(inputs), expected));
  }
}

TEST(WanDiTWeights, StrictLoadListsEveryMissingUnexpectedAndMisshapedTensor) {
  std::map<std::string, at::Tensor> tensors = golden_tensors();
  tensors.erase("blocks.1.ffn.2.bias");
  tensors.erase("head.modulation");
  tensors["blocks.0.extra_gate.weight"] = at::zeros({4});
  tensors["blocks.0.self_attn.q.weight"] = at::zeros({64, 256});
  motionfarm::testing::ScratchDir dir("dit-strict");
  const auto checkpoint =
      io::SafetensorsCheckpoint::open(write_as(tensors, CheckpointLayout::kDiffusers, dir));
  const WanDiTConfig config = testing::golden_config(kCase);
  try {
    WanDiTWeights::load(checkpoint, config);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& error) {
    const std::string message = error.what();
    for (const char* needle :
         {"diffusers tensor names", "missing (2)", "blocks.1.ffn.2.bias",
          "'blocks.1.ffn.net.2.bias'", "head.modulation", "'scale_shift_table'", "unexpected (1)",
          "blocks.0.extra_gate.weight", "mis-shaped (1)",
          "blocks.0.self_attn.q.weight: stored [64, 256]",
          "'blocks.0.attn1.to_q.weight', expected [128, 128]"}) {
      EXPECT_NE(message.find(needle), std::string::npos) << needle << " not in:\n" << message;
    }
  }

  // Non-strict ignores the extra tensor but still refuses the missing and mis-shaped ones.
  WeightLoadOptions lenient;
  lenient.strict = false;
  try {
    WanDiTWeights::load(checkpoint, config, lenient);
    FAIL() << "expected a ModelError";
  } catch (const ModelError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find("extra_gate"), std::string::npos) << message;
    EXPECT_NE(message.find("blocks.1.ffn.2.bias"), std::string::npos) << message;
  }
  std::map<std::string, at::Tensor> extra = golden_tensors();
  extra["unused.weight"] = at::zeros({2});
  EXPECT_NO_THROW(WanDiTWeights::from_tensors(extra, config, lenient));
  EXPECT_THROW(WanDiTWeights::from_tensors(extra, config), ModelError);
}

TEST(WanDiTWeights, WrongPresetNamesTheImageBranchTensors) {
  try {
    WanDiTWeights::from_tensors(golden_tensors(), load_dit_preset("tiny-i2v"));
    FAIL() << "expected a ModelError";
  } catch (const ModelError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("img_emb.proj.1.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("blocks.0.cross_attn.k_img.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("i2v DiT"), std::string::npos) << message;
  }
}

TEST(WanDiTWeights, Fp32CpuLoadIsZeroCopyOverTheFile) {
  const io::SafetensorsCheckpoint checkpoint = testing::golden_weights(kCase);
  const WanDiTWeights weights = WanDiTWeights::load(checkpoint, testing::golden_config(kCase));
  EXPECT_EQ(weights.tensor("blocks.0.ffn.0.weight").data_ptr(),
            checkpoint.tensor("blocks.0.ffn.0.weight").data_ptr());
}

// bf16 compute: matmul weights in bf16, modulation / norms / time embedding / head in fp32; the
// output stays close to the fp32 model's.
TEST(WanDiTWeights, Bf16PlacementKeepsTheFp32Parts) {
  const WanDiTConfig config = testing::golden_config(kCase);
  const WanDiTWeights fp32 = WanDiTWeights::load(testing::golden_weights(kCase), config);
  WeightPlacement placement;
  placement.compute_dtype = at::kBFloat16;
  const WanDiTWeights bf16 = fp32.placed(placement);
  EXPECT_EQ(bf16.tensor("blocks.0.self_attn.q.weight").scalar_type(), at::kBFloat16);
  EXPECT_EQ(bf16.tensor("patch_embedding.weight").scalar_type(), at::kBFloat16);
  EXPECT_EQ(bf16.tensor("blocks.0.modulation").scalar_type(), at::kFloat);
  EXPECT_EQ(bf16.tensor("blocks.0.norm3.weight").scalar_type(), at::kFloat);
  EXPECT_EQ(bf16.tensor("blocks.0.self_attn.norm_q.weight").scalar_type(), at::kFloat);
  EXPECT_EQ(bf16.tensor("time_projection.1.weight").scalar_type(), at::kFloat);
  EXPECT_EQ(bf16.tensor("head.head.weight").scalar_type(), at::kFloat);

  const DiTInputs inputs = testing::golden_inputs(kCase);
  const at::Tensor reference = WanDiT(config, fp32).forward(inputs);
  const at::Tensor out = WanDiT(config, bf16).forward(inputs);
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  const double error = (out - reference).abs().max().item<double>();
  const double scale = reference.abs().max().item<double>();
  EXPECT_LT(error, 0.05 * scale) << "bf16 error " << error << " vs output scale " << scale;
  EXPECT_GT(error, 0.0);  // the bf16 path really ran in bf16
}

TEST(WanDiTWeights, RandomWeightsAreDeterministicAndFitTheConfig) {
  const WanDiTConfig config = load_dit_preset("tiny-ti2v");
  const WanDiTWeights a = WanDiTWeights::random(config, 7);
  const WanDiTWeights b = WanDiTWeights::random(config, 7);
  const WanDiTWeights c = WanDiTWeights::random(config, 8);
  EXPECT_TRUE(at::equal(a.tensor("blocks.1.ffn.2.weight"), b.tensor("blocks.1.ffn.2.weight")));
  EXPECT_FALSE(at::equal(a.tensor("blocks.1.ffn.2.weight"), c.tensor("blocks.1.ffn.2.weight")));
  EXPECT_EQ(a.block_count(), 2);
  EXPECT_THROW(a.image_embedding(), ModelError);
  EXPECT_THROW(a.tensor("img_emb.proj.1.weight"), ModelError);
  EXPECT_THROW(WanDiT(load_dit_preset("tiny-t2v"), a), ModelError);
}

}  // namespace
}  // namespace motionfarm::model
