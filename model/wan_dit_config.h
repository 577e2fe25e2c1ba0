// The architecture of a Wan diffusion transformer (Wan2.1 / Wan2.2 `WanModel`), and where it comes
// from: a preset under configs/models/, a YAML file, or a golden case's JSON (yaml-cpp reads both).
//
// Field names and defaults are the reference constructor's arguments, so a config written for the
// Python reference reads unchanged. `model_type` picks the layout: t2v and ti2v (Wan2.2's name for
// the t2v layout with 48 latent channels) have no image branch; i2v and flf2v take the conditioning
// latent `y` concatenated to `x` and, in Wan2.1, the CLIP image embedding and image
// cross-attention. Wan2.2's i2v (A14B) keeps `y` but has no CLIP branch (clip_image_branch false).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace YAML {
class Node;
}

namespace motionfarm::model {

// Width of the CLIP image features the i2v/flf2v image branch takes (fixed by the reference).
inline constexpr int64_t kClipFeatureDim = 1280;
// CLIP tokens per image (256 patches + class token) and the flf2v position table's length (two
// images: first and last frame).
inline constexpr int64_t kClipTokensPerImage = 257;
inline constexpr int64_t kFlf2vImageTokens = 2 * kClipTokensPerImage;

struct WanDiTConfig {
  std::string model_type = "t2v";              // t2v, i2v, flf2v (Wan2.1) or ti2v (Wan2.2)
  std::array<int64_t, 3> patch_size{1, 2, 2};  // (frames, rows, columns) per token
  int64_t text_len = 512;                      // text tokens after zero padding
  int64_t in_dim = 16;                         // latent channels in (x, plus y for i2v/flf2v)
  int64_t dim = 2048;                          // transformer width
  int64_t ffn_dim = 8192;
  int64_t freq_dim = 256;  // width of the sinusoidal timestep embedding
  int64_t text_dim = 4096;
  int64_t out_dim = 16;
  int64_t num_heads = 16;
  int64_t num_layers = 32;
  bool qk_norm = true;          // RMSNorm on q and k (over the full width, before the head split)
  bool cross_attn_norm = true;  // affine LayerNorm (norm3) before cross-attention
  double eps = 1e-6;
  // i2v/flf2v: whether the model has the CLIP image branch (img_emb, k_img/v_img/norm_k_img in
  // every cross-attention). Wan2.1's do; Wan2.2's i2v does not (the image reaches it only through
  // `y`). Not in the reference's constructor: a preset key. Ignored for t2v/ti2v.
  bool clip_image_branch = true;

  // Not architecture: where the config came from, for messages and `motionfarm model list`.
  std::string family;  // "wan2.1", "wan2.2"
  std::string description;

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;

  int64_t head_dim() const { return dim / num_heads; }
  // i2v and flf2v: the conditioning latent `y` (mask + encoded image) concatenated to `x`.
  bool takes_conditioning_latent() const;
  // The CLIP image branch: image tokens and image cross-attention (Wan2.1 i2v and flf2v).
  bool has_image_branch() const;
  // flf2v: the image branch adds a learnt position table over two images' CLIP tokens.
  bool has_image_position_table() const { return model_type == "flf2v"; }
  // Output values per token: prod(patch_size) * out_dim.
  int64_t patch_volume() const { return patch_size[0] * patch_size[1] * patch_size[2]; }
};

// Reads a config from a YAML/JSON mapping. Unknown keys are errors (a misspelt key would otherwise
// silently keep a default); `module`, `seq_len` and `window_size` (only [-1, -1], global attention)
// are accepted and ignored so the golden cases' JSON reads as is, and so are a preset's `sampling`
// and `experts` (model/preset_sampling.h reads them). `source` names the file in
// messages, which carry line:column. The result is validated.
WanDiTConfig wan_dit_config_from_node(const YAML::Node& node, const std::string& source);

// Loads a YAML or JSON file; throws ConfigError naming the file when it is missing or malformed.
WanDiTConfig load_wan_dit_config_file(const std::string& path);

// Loads the preset `configs/models/<name>.yaml` through core::find_config_file.
WanDiTConfig load_dit_preset(const std::string& name);

}  // namespace motionfarm::model
