#include "model/parameter_specs.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors_checkpoint.h"
#include "model/preset_sampling.h"
#include "model/wan_dit_config.h"
#include "tests/unit/model/golden_dit.h"

namespace motionfarm::model {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes spec_shapes(const WanDiTConfig& config) {
  Shapes shapes;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
    EXPECT_TRUE(shapes.emplace(spec.name, spec.shape).second) << "duplicate " << spec.name;
  }
  return shapes;
}

Shapes file_shapes(const std::string& golden_case) {
  Shapes shapes;
  for (const auto& info : testing::golden_weights(golden_case).tensors()) {
    shapes[info.name] = info.shape;
  }
  return shapes;
}

TEST(ParameterSpecs, GoldenT2VSpecsEqualTheReferenceTensorsExactly) {
  EXPECT_EQ(spec_shapes(testing::golden_config("wan21_t2v_tiny")), file_shapes("wan21_t2v_tiny"));
}

TEST(ParameterSpecs, GoldenTI2VSpecsEqualTheReferenceTensorsExactly) {
  EXPECT_EQ(spec_shapes(testing::golden_config("wan22_ti2v_tiny")), file_shapes("wan22_ti2v_tiny"));
}

// The block's stored tensors, relative to "blocks.N.".
std::set<std::string> block_names(const WanDiTConfig& config, int64_t block) {
  const std::string prefix = "blocks." + std::to_string(block) + ".";
  std::set<std::string> names;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
    if (spec.name.rfind(prefix, 0) == 0) names.insert(spec.name.substr(prefix.size()));
  }
  return names;
}

std::set<std::string> t2v_block_names() {
  std::set<std::string> names = {"modulation", "norm3.weight", "norm3.bias"};
  for (const std::string attn : {"self_attn", "cross_attn"}) {
    for (const std::string proj : {"q", "k", "v", "o"}) {
      names.insert(attn + "." + proj + ".weight");
      names.insert(attn + "." + proj + ".bias");
    }
    names.insert(attn + ".norm_q.weight");
    names.insert(attn + ".norm_k.weight");
  }
  for (const std::string ffn : {"ffn.0", "ffn.2"}) {
    names.insert(ffn + ".weight");
    names.insert(ffn + ".bias");
  }
  return names;
}

int64_t count_with_prefix(const WanDiTConfig& config, const std::string& prefix) {
  int64_t count = 0;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
    count += spec.name.rfind(prefix, 0) == 0 ? 1 : 0;
  }
  return count;
}

// Parameter totals of the released checkpoints: Wan2.1 T2V 1.3B ~1.42 B (2.84 GB in bf16), T2V 14B
// ~14.3 B, I2V 14B ~16.4 B (32.8 GB in bf16: the image cross-attention adds 2 dim x dim per
// block), Wan2.2 TI2V 5B ~5.0 B.
TEST(ParameterSpecs, PresetsMatchThePublicCheckpoints) {
  struct Expected {
    const char* preset;
    double min_params;
    double max_params;
    int64_t tensors;
  };
  // Tensors: 15 outside the blocks, 27 per t2v block, 32 per i2v block, +8 for img_emb.
  const Expected expected[] = {
      {"wan2.1-t2v-1.3b", 1.40e9, 1.44e9, 15 + 30 * 27},
      {"wan2.1-t2v-14b", 14.0e9, 14.5e9, 15 + 40 * 27},
      {"wan2.1-i2v-14b", 16.2e9, 16.6e9, 15 + 40 * 32 + 8},
      {"wan2.2-ti2v-5b", 4.9e9, 5.1e9, 15 + 30 * 27},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.preset);
    const WanDiTConfig config = load_dit_preset(e.preset);
    const double params = static_cast<double>(wan_dit_parameter_count(config));
    EXPECT_GE(params, e.min_params);
    EXPECT_LE(params, e.max_params);
    EXPECT_EQ(static_cast<int64_t>(wan_dit_parameter_specs(config).size()), e.tensors);
    EXPECT_EQ(count_with_prefix(config, "img_emb.proj."), config.has_image_branch() ? 8 : 0);
    EXPECT_EQ(count_with_prefix(config, "img_emb.emb_pos"), 0);
    std::set<std::string> block = t2v_block_names();
    if (config.has_image_branch()) {
      block.insert({"cross_attn.k_img.weight", "cross_attn.k_img.bias", "cross_attn.v_img.weight",
                    "cross_attn.v_img.bias", "cross_attn.norm_k_img.weight"});
    }
    EXPECT_EQ(block_names(config, 0), block);
    EXPECT_EQ(block_names(config, config.num_layers - 1), block);
    EXPECT_TRUE(block_names(config, config.num_layers).empty());
  }
}

// The public Wan2.2 WanModel's state_dict, written out from its definition
// (wan/modules/model.py in Wan-Video/Wan2.2, which every Wan2.2 release loads with
// WanModel.from_pretrained): patch/text/time embeddings, num_layers blocks of self-attention,
// affine norm3, cross-attention (text only: Wan2.2 has no img_emb and no k_img/v_img, its i2v
// included), FFN and modulation, and the head. Its parameters are exactly the keys of the
// releases' diffusion_pytorch_model.safetensors.index.json weight_map (the `freqs` table is not a
// buffer). `dim`, `ffn`, `in`, `out`, `layers` are the release config.json's values.
Shapes public_wan22_state_dict(int64_t dim, int64_t ffn, int64_t in, int64_t out, int64_t layers) {
  Shapes shapes;
  shapes["patch_embedding.weight"] = {dim, in, 1, 2, 2};
  shapes["patch_embedding.bias"] = {dim};
  shapes["text_embedding.0.weight"] = {dim, 4096};
  shapes["text_embedding.0.bias"] = {dim};
  shapes["text_embedding.2.weight"] = {dim, dim};
  shapes["text_embedding.2.bias"] = {dim};
  shapes["time_embedding.0.weight"] = {dim, 256};
  shapes["time_embedding.0.bias"] = {dim};
  shapes["time_embedding.2.weight"] = {dim, dim};
  shapes["time_embedding.2.bias"] = {dim};
  shapes["time_projection.1.weight"] = {6 * dim, dim};
  shapes["time_projection.1.bias"] = {6 * dim};
  for (int64_t i = 0; i < layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const std::string attn : {"self_attn.", "cross_attn."}) {
      for (const std::string p : {"q", "k", "v", "o"}) {
        shapes[b + attn + p + ".weight"] = {dim, dim};
        shapes[b + attn + p + ".bias"] = {dim};
      }
      shapes[b + attn + "norm_q.weight"] = {dim};
      shapes[b + attn + "norm_k.weight"] = {dim};
    }
    shapes[b + "norm3.weight"] = {dim};
    shapes[b + "norm3.bias"] = {dim};
    shapes[b + "ffn.0.weight"] = {ffn, dim};
    shapes[b + "ffn.0.bias"] = {ffn};
    shapes[b + "ffn.2.weight"] = {dim, ffn};
    shapes[b + "ffn.2.bias"] = {dim};
    shapes[b + "modulation"] = {1, 6, dim};
  }
  shapes["head.head.weight"] = {4 * out, dim};
  shapes["head.head.bias"] = {4 * out};
  shapes["head.modulation"] = {1, 2, dim};
  return shapes;
}

// The three Wan2.2 checkpoints as published, per DiT folder: Wan2.2-I2V-A14B and Wan2.2-T2V-A14B
// have high_noise_model/ and low_noise_model/ (6 shards each), both experts the same architecture
// (dim 5120, ffn 13824, 40 layers; in_dim 36 for i2v, 16 for t2v; out 16); Wan2.2-TI2V-5B has one
// DiT (3 shards; dim 3072, ffn 14336, 30 layers, in = out = 48). Sources: the public configs
// wan/configs/wan_{i2v,t2v}_A14B.py and wan_ti2v_5B.py, the released config.json, and the shard
// lists downstream tools load (e.g. DiffSynth-Studio's Wan2.2 examples list
// high_noise_model/diffusion_pytorch_model-0000{1..6}-of-00006.safetensors). 15 + 27 per block
// tensors: 1095 per A14B expert, 825 for TI2V-5B. Nothing is allocated: the specs are names and
// shapes.
TEST(ParameterSpecs, Wan22PresetsMatchThePublicReleaseTensorForTensor) {
  struct Release {
    const char* preset;
    std::vector<std::string> dit_folders;
    int64_t dim, ffn, in, out, layers, tensors;
  };
  const Release releases[] = {
      {"wan2.2-i2v-a14b", {"high_noise_model", "low_noise_model"}, 5120, 13824, 36, 16, 40, 1095},
      {"wan2.2-t2v-a14b", {"high_noise_model", "low_noise_model"}, 5120, 13824, 16, 16, 40, 1095},
      {"wan2.2-ti2v-5b", {""}, 3072, 14336, 48, 48, 30, 825},
  };
  for (const Release& release : releases) {
    SCOPED_TRACE(release.preset);
    const WanDiTConfig config = load_dit_preset(release.preset);
    const PresetSampling sampling = load_preset_sampling(release.preset);
    std::vector<std::string> folders;
    for (const ExpertSpec& expert : sampling.experts) folders.push_back(expert.folder);
    if (folders.empty()) folders.push_back("");
    EXPECT_EQ(folders, release.dit_folders);
    const Shapes expected =
        public_wan22_state_dict(release.dim, release.ffn, release.in, release.out, release.layers);
    EXPECT_EQ(static_cast<int64_t>(expected.size()), release.tensors);
    // Every expert loads with the preset's one DiT architecture.
    for (const std::string& folder : folders) {
      SCOPED_TRACE(folder);
      EXPECT_EQ(spec_shapes(config), expected);
    }
  }
  // Parameters: each A14B expert ~14.3 B (28.6 GB in bf16), TI2V-5B ~5.0 B.
  EXPECT_NEAR(static_cast<double>(wan_dit_parameter_count(load_dit_preset("wan2.2-i2v-a14b"))),
              14.29e9, 0.02e9);
  EXPECT_NEAR(static_cast<double>(wan_dit_parameter_count(load_dit_preset("wan2.2-t2v-a14b"))),
              14.29e9, 0.02e9);
}

TEST(ParameterSpecs, ShapesFollowTheConfig) {
  const WanDiTConfig config = load_dit_preset("wan2.1-i2v-14b");
  const Shapes shapes = spec_shapes(config);
  EXPECT_EQ(shapes.at("patch_embedding.weight"), (std::vector<int64_t>{5120, 36, 1, 2, 2}));
  EXPECT_EQ(shapes.at("text_embedding.0.weight"), (std::vector<int64_t>{5120, 4096}));
  EXPECT_EQ(shapes.at("time_projection.1.weight"), (std::vector<int64_t>{6 * 5120, 5120}));
  EXPECT_EQ(shapes.at("blocks.39.ffn.0.weight"), (std::vector<int64_t>{13824, 5120}));
  EXPECT_EQ(shapes.at("blocks.0.modulation"), (std::vector<int64_t>{1, 6, 5120}));
  EXPECT_EQ(shapes.at("head.head.weight"), (std::vector<int64_t>{64, 5120}));
  EXPECT_EQ(shapes.at("head.modulation"), (std::vector<int64_t>{1, 2, 5120}));
  EXPECT_EQ(shapes.at("img_emb.proj.1.weight"), (std::vector<int64_t>{1280, 1280}));
  EXPECT_EQ(shapes.at("img_emb.proj.3.weight"), (std::vector<int64_t>{5120, 1280}));

  WanDiTConfig flf2v = config;
  flf2v.model_type = "flf2v";
  EXPECT_EQ(spec_shapes(flf2v).at("img_emb.emb_pos"), (std::vector<int64_t>{1, 514, 1280}));

  WanDiTConfig plain = load_dit_preset("tiny-t2v");
  plain.qk_norm = false;
  plain.cross_attn_norm = false;
  EXPECT_EQ(spec_shapes(plain).count("blocks.0.self_attn.norm_q.weight"), 0u);
  EXPECT_EQ(spec_shapes(plain).count("blocks.0.norm3.weight"), 0u);
}

TEST(ParameterSpecs, Fp32TensorsAreModulationNormsTimeAndHead) {
  for (const ParameterSpec& spec : wan_dit_parameter_specs(load_dit_preset("tiny-i2v"))) {
    const std::string& n = spec.name;
    const bool expected = n.find("modulation") != std::string::npos ||
                          n.find("norm") != std::string::npos || n.rfind("time_", 0) == 0 ||
                          n.rfind("head.", 0) == 0 || n.rfind("img_emb.proj.0.", 0) == 0 ||
                          n.rfind("img_emb.proj.4.", 0) == 0;
    EXPECT_EQ(spec.keep_fp32, expected) << n;
  }
}

}  // namespace
}  // namespace motionfarm::model
