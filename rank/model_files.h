// Which weight files make up a model: the DiT, VAE, text encoder, tokenizer and image encoder, as
// paths, found in a release folder by their published names or given one by one.
//
// Release names (Wan-AI's Hugging Face repositories; the .pth files converted once to
// .safetensors beside them, see docs/models.md):
//   dit            diffusion_pytorch_model.safetensors.index.json (sharded) or
//                  diffusion_pytorch_model.safetensors
//   vae            Wan2.1_VAE.safetensors (Wan2.1 presets) / Wan2.2_VAE.safetensors (Wan2.2)
//   text_encoder   models_t5_umt5-xxl-enc-bf16.safetensors
//   tokenizer      google/umt5-xxl/spiece.model
//   image_encoder  models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors (i2v, flf2v)
#pragma once

#include <string>

#include "rank/model_preset.h"

namespace motionfarm::rank {

struct ModelFiles {
  std::string dit;
  std::string vae;
  std::string text_encoder;
  std::string tokenizer;
  std::string image_encoder;  // empty for presets without an image branch

  // The release names above inside `folder` (whether or not they exist; check() says).
  static ModelFiles in_folder(const std::string& folder, const ModelPreset& preset);

  // This set with every non-empty path of `explicit_files` put in its place.
  ModelFiles overridden_by(const ModelFiles& explicit_files) const;

  // Throws InputError naming the option (--dit, --vae, ...) and the path of the first file that
  // is not given or does not exist; for a missing .safetensors next to its .pth, says how to
  // convert it.
  void check(const ModelPreset& preset) const;
};

}  // namespace motionfarm::rank
