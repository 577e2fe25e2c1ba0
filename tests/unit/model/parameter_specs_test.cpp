#include "model/parameter_specs.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/safetensors_checkpoint.h"
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
