#include "model/checkpoint_names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "model/parameter_specs.h"
#include "model/wan_dit_config.h"

namespace motionfarm::model {
namespace {

// Pairs from diffusers' scripts/convert_wan_to_diffusers.py (TRANSFORMER_KEYS_RENAME_DICT applied
// to the native names) and WanTransformer3DModel's module names.
TEST(CheckpointNames, DiffusersNamesMapToNative) {
  const std::pair<const char*, const char*> cases[] = {
      {"condition_embedder.text_embedder.linear_1.weight", "text_embedding.0.weight"},
      {"condition_embedder.text_embedder.linear_2.bias", "text_embedding.2.bias"},
      {"condition_embedder.time_embedder.linear_1.weight", "time_embedding.0.weight"},
      {"condition_embedder.time_embedder.linear_2.bias", "time_embedding.2.bias"},
      {"condition_embedder.time_proj.weight", "time_projection.1.weight"},
      {"condition_embedder.image_embedder.norm1.bias", "img_emb.proj.0.bias"},
      {"condition_embedder.image_embedder.ff.net.0.proj.weight", "img_emb.proj.1.weight"},
      {"condition_embedder.image_embedder.ff.net.2.bias", "img_emb.proj.3.bias"},
      {"condition_embedder.image_embedder.norm2.weight", "img_emb.proj.4.weight"},
      {"condition_embedder.image_embedder.pos_embed", "img_emb.emb_pos"},
      {"patch_embedding.weight", "patch_embedding.weight"},
      {"proj_out.weight", "head.head.weight"},
      {"scale_shift_table", "head.modulation"},
      {"blocks.7.scale_shift_table", "blocks.7.modulation"},
      {"blocks.0.attn1.to_q.weight", "blocks.0.self_attn.q.weight"},
      {"blocks.0.attn1.to_out.0.bias", "blocks.0.self_attn.o.bias"},
      {"blocks.0.attn1.norm_k.weight", "blocks.0.self_attn.norm_k.weight"},
      {"blocks.12.attn2.to_v.weight", "blocks.12.cross_attn.v.weight"},
      {"blocks.12.attn2.norm_q.weight", "blocks.12.cross_attn.norm_q.weight"},
      {"blocks.3.attn2.add_k_proj.weight", "blocks.3.cross_attn.k_img.weight"},
      {"blocks.3.attn2.add_v_proj.bias", "blocks.3.cross_attn.v_img.bias"},
      {"blocks.3.attn2.norm_added_k.weight", "blocks.3.cross_attn.norm_k_img.weight"},
      // diffusers numbers the norms in call order: its norm2 is the native cross-attention norm3.
      {"blocks.5.norm2.weight", "blocks.5.norm3.weight"},
      {"blocks.5.norm2.bias", "blocks.5.norm3.bias"},
      {"blocks.5.ffn.net.0.proj.weight", "blocks.5.ffn.0.weight"},
      {"blocks.5.ffn.net.2.bias", "blocks.5.ffn.2.bias"},
  };
  for (const auto& [diffusers, native] : cases) {
    EXPECT_EQ(to_native_name(diffusers, CheckpointLayout::kDiffusers), native) << diffusers;
    EXPECT_EQ(from_native_name(native, CheckpointLayout::kDiffusers), diffusers) << native;
  }
}

TEST(CheckpointNames, ComfyUIPrefixesTheNativeNames) {
  EXPECT_EQ(from_native_name("blocks.0.self_attn.q.weight", CheckpointLayout::kComfyUI),
            "model.diffusion_model.blocks.0.self_attn.q.weight");
  EXPECT_EQ(to_native_name("model.diffusion_model.head.head.bias", CheckpointLayout::kComfyUI),
            "head.head.bias");
}

TEST(CheckpointNames, EveryNativeNameRoundTripsAndStaysUnique) {
  WanDiTConfig config = load_dit_preset("tiny-i2v");
  config.model_type = "flf2v";
  for (CheckpointLayout layout :
       {CheckpointLayout::kNative, CheckpointLayout::kComfyUI, CheckpointLayout::kDiffusers}) {
    SCOPED_TRACE(checkpoint_layout_name(layout));
    std::set<std::string> stored;
    std::vector<std::string> stored_list;
    for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
      const std::string name = from_native_name(spec.name, layout);
      EXPECT_TRUE(stored.insert(name).second) << "two tensors stored as " << name;
      stored_list.push_back(name);
      EXPECT_EQ(to_native_name(name, layout), spec.name);
    }
    EXPECT_EQ(detect_checkpoint_layout(stored_list), layout);
  }
}

TEST(CheckpointNames, UnknownNamesPassThrough) {
  EXPECT_EQ(to_native_name("blocks.0.attn1.to_k_img.weight", CheckpointLayout::kDiffusers),
            "blocks.0.attn1.to_k_img.weight");
  EXPECT_EQ(to_native_name("blocksX.0.attn1.to_q.weight", CheckpointLayout::kDiffusers),
            "blocksX.0.attn1.to_q.weight");
  EXPECT_EQ(to_native_name("vace_blocks.0.proj", CheckpointLayout::kDiffusers),
            "vace_blocks.0.proj");
}

}  // namespace
}  // namespace motionfarm::model
