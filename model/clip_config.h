// The architecture of the CLIP vision tower Wan2.1 I2V/FLF2V use for image conditioning (the
// open-clip XLM-RoBERTa ViT-H/14's `VisionTransformer`, wan/modules/clip.py), and its input
// normalisation.
//
// Field names are the reference constructor's arguments plus the pixel mean/std and
// `use_31_block`, so the golden cases' JSON (`module: clip_vision`) reads unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace YAML {
class Node;
}

namespace motionfarm::model {

struct ClipVisionConfig {
  int64_t image_size = 224;
  int64_t patch_size = 14;
  int64_t dim = 1280;
  double mlp_ratio = 4.0;
  int64_t out_dim = 1024;  // width of the head, which the features do not use
  int64_t num_heads = 16;
  int64_t num_layers = 32;
  // token / token_fc: a class token leads the sequence; attn_pool: none.
  std::string pool_type = "token";
  bool pre_norm = true;    // LayerNorm after the embeddings (and a patch conv without bias)
  bool post_norm = false;  // blocks normalise after attention/MLP instead of before
  std::string activation = "gelu";  // gelu (exact, erf) or quick_gelu (x * sigmoid(1.702 x))
  double norm_eps = 1e-5;
  // Features from the second-to-last block (what Wan's CLIPModel.visual returns), else the last.
  bool use_31_block = true;
  std::array<double, 3> mean{0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> std{0.26862954, 0.26130258, 0.27577711};

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;

  int64_t grid() const { return image_size / patch_size; }
  bool has_class_token() const { return pool_type != "attn_pool"; }
  // Tokens per image: grid^2 patches plus the class token (257 for ViT-H/14 at 224).
  int64_t tokens() const { return grid() * grid() + (has_class_token() ? 1 : 0); }
  int64_t mlp_dim() const { return static_cast<int64_t>(static_cast<double>(dim) * mlp_ratio); }
  // Blocks the features go through: all, or all but the last with use_31_block.
  int64_t blocks_used() const { return use_31_block ? num_layers - 1 : num_layers; }
};

// ViT-H/14 of `clip_xlm_roberta_vit_h_14`: 224 px, patch 14, width 1280, 16 heads, 32 layers,
// exact GELU; features [257, 1280] from block 31.
ClipVisionConfig clip_vit_h_14_config();

// Reads a YAML/JSON mapping. Unknown keys are errors; `module` must be `clip_vision` when present,
// and the dropout rates are accepted and ignored (inference). Validated.
ClipVisionConfig clip_vision_config_from_node(const YAML::Node& node, const std::string& source);

// Loads a YAML or JSON file; throws ConfigError naming the file when it is missing or malformed.
ClipVisionConfig load_clip_vision_config_file(const std::string& path);

}  // namespace motionfarm::model
