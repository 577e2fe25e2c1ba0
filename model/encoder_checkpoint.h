// Reads the text and image encoders' weights by their native Wan names, whatever naming the file
// uses, and holds the one table that converts between those namings (as checkpoint_names.h does
// for the DiT).
//
// umT5 text encoder:
//   kNative       the Wan reference's T5Encoder names, as in `models_t5_umt5-xxl-enc-bf16.pth`
//                 (converted to safetensors): `token_embedding.weight`, `blocks.N.attn.q.weight`,
//                 `blocks.N.pos_embedding.embedding.weight`, `blocks.N.ffn.gate.0.weight`,
//                 `norm.weight`.
//   kHuggingFace  transformers' UMT5EncoderModel (google/umt5-xxl, diffusers' `text_encoder/`,
//                 ComfyUI's `umt5_xxl_*.safetensors`): `shared.weight`,
//                 `encoder.block.N.layer.0.SelfAttention.q.weight`, `…relative_attention_bias…`,
//                 `encoder.block.N.layer.1.DenseReluDense.wi_0.weight`,
//                 `encoder.final_layer_norm.weight`.
// CLIP vision tower:
//   kNative       the tower's own names (`patch_embedding.weight`, `transformer.N.attn.to_qkv…`).
//   kVisualPrefix the same under `visual.`, as in the released
//                 `models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth`, whose text tower
//                 (`textual.*`) and `log_scale` are ignored.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "io/safetensors_checkpoint.h"

namespace motionfarm::model {

enum class EncoderKind { kUmt5, kClipVision };
enum class EncoderLayout { kNative, kHuggingFace, kVisualPrefix };

// "umT5 text encoder", "CLIP vision tower".
const char* encoder_kind_name(EncoderKind kind);
// "native", "huggingface", "visual-prefixed".
const char* encoder_layout_name(EncoderLayout layout);

// The layout `stored_names` are in, judged by the tensors only one layout has (the token
// embedding or final norm for umT5, the patch embedding for CLIP). Throws ModelError naming
// `source` and what was looked for when the names fit no layout of `kind`.
EncoderLayout detect_encoder_layout(EncoderKind kind, const std::vector<std::string>& stored_names,
                                    const std::string& source);

// The names a native tensor may be stored under in `layout`, most usual first (the Hugging Face
// token embedding is `shared.weight` or `encoder.embed_tokens.weight`). Throws ModelError for a
// native name the table does not cover.
std::vector<std::string> encoder_stored_names(EncoderKind kind, EncoderLayout layout,
                                              const std::string& native_name);

// Where encoder weights go: the compute dtype and device. The reference runs umT5 in bf16 and the
// CLIP tower in fp16 on GPUs; fp32 on CPU.
struct EncoderLoadOptions {
  at::ScalarType dtype = at::kFloat;
  at::Device device = at::kCPU;

  // Throws ConfigError for a dtype other than float32, float16, bfloat16 or float64.
  void validate() const;
};

// A checkpoint opened for one encoder: detects the layout once, then hands out tensors by native
// name, shape-checked and converted. Cheap to copy (shares the mapped files).
class EncoderCheckpoint {
 public:
  EncoderCheckpoint(io::SafetensorsCheckpoint checkpoint, EncoderKind kind);

  EncoderLayout layout() const { return layout_; }
  const io::SafetensorsCheckpoint& checkpoint() const { return checkpoint_; }

  bool contains(const std::string& native_name) const;
  // The tensor stored for `native_name`, checked to have `shape` and converted to the options'
  // dtype and device. Throws ModelError naming the file, the stored name and both shapes when the
  // shape differs (weights of another architecture or size), or when the tensor is absent.
  at::Tensor weight(const std::string& native_name, at::IntArrayRef shape,
                    const EncoderLoadOptions& options) const;

 private:
  // First stored name of `native_name` present in the checkpoint, or "" when none is.
  std::string stored_name_of(const std::string& native_name) const;

  io::SafetensorsCheckpoint checkpoint_;
  EncoderKind kind_;
  EncoderLayout layout_;
};

}  // namespace motionfarm::model
