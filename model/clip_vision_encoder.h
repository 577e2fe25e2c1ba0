// The CLIP vision tower Wan2.1 I2V/FLF2V condition on (vision tower only; the text tower and the
// projection head are not needed): patch embedding, class token, position embedding, pre-norm,
// then the transformer blocks up to the second-to-last (use_31_block), with no post-norm or head.
//
// encode() also does the reference CLIPModel.visual's preprocessing: bicubic resize to
// image_size (align_corners false, no antialias, aspect ratio not kept, no clamping), [-1, 1] to
// [0, 1], then (x - mean) / std. Weights load from the tower's own names or the released
// checkpoint's `visual.` prefix. Inference only; cheap to copy (tensors are shared).
#pragma once

#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "io/safetensors_checkpoint.h"
#include "model/clip_config.h"
#include "model/encoder_checkpoint.h"

namespace motionfarm::model {

class ClipVisionEncoder {
 public:
  // Reads the tensors the features need (blocks_used() blocks; the last block, post_norm and
  // head are skipped) from `checkpoint`, converted to `options`. Throws ModelError naming the file
  // and tensor when one is missing or has another shape, or when the checkpoint has more layers
  // than the config.
  static ClipVisionEncoder load(const io::SafetensorsCheckpoint& checkpoint,
                                const ClipVisionConfig& config,
                                const EncoderLoadOptions& options = {});

  // pixels [N, 3, H, W] in [-1, 1], any size -> features [N, tokens, dim] in the weights' dtype
  // (tokens = 257, dim = 1280 for ViT-H/14). Throws ModelError for another layout.
  at::Tensor encode(const at::Tensor& pixels) const;

  // pixels [N, 3, H, W] in [-1, 1] -> [N, 3, image_size, image_size] float32, resized and
  // normalised as the tower expects, on the encoder's device.
  at::Tensor preprocess(const at::Tensor& pixels) const;

  // normalized [N, 3, image_size, image_size] -> [N, tokens, dim]: the tower alone.
  at::Tensor forward_tower(const at::Tensor& normalized) const;

  const ClipVisionConfig& config() const { return config_; }
  const EncoderLoadOptions& options() const { return options_; }

 private:
  struct LayerNormWeights {
    at::Tensor weight;  // [dim]
    at::Tensor bias;    // [dim]
  };
  struct Block {
    LayerNormWeights norm1;
    at::Tensor qkv_weight;   // [3 * dim, dim]: q, k, v stacked
    at::Tensor qkv_bias;     // [3 * dim]
    at::Tensor proj_weight;  // [dim, dim]
    at::Tensor proj_bias;    // [dim]
    LayerNormWeights norm2;
    at::Tensor fc1_weight;  // [mlp_dim, dim]
    at::Tensor fc1_bias;    // [mlp_dim]
    at::Tensor fc2_weight;  // [dim, mlp_dim]
    at::Tensor fc2_bias;    // [dim]
  };

  ClipVisionEncoder(ClipVisionConfig config, EncoderLoadOptions options)
      : config_(std::move(config)), options_(options) {}

  at::Tensor layer_norm(const at::Tensor& x, const LayerNormWeights& norm) const;
  at::Tensor attention(const at::Tensor& x, const Block& block) const;  // [N, S, dim]
  at::Tensor mlp(const at::Tensor& x, const Block& block) const;        // [N, S, dim]

  ClipVisionConfig config_;
  EncoderLoadOptions options_;
  at::Tensor patch_weight_;  // [dim, 3, patch, patch]
  at::Tensor patch_bias_;    // [dim], only without pre_norm
  at::Tensor class_token_;   // [1, 1, dim], only with a class token
  at::Tensor position_;      // [1, tokens, dim]
  LayerNormWeights pre_norm_;
  std::vector<Block> blocks_;
};

}  // namespace motionfarm::model
