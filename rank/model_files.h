// Which weight files make up a model: the DiT, VAE, text encoder, tokenizer and image encoder, as
// paths, found in a release folder by their published names or given one by one.
//
// Release names (Wan-AI's Hugging Face repositories; the .pth files converted once to
// .safetensors beside them, see docs/models.md):
//   dit            diffusion_pytorch_model.safetensors.index.json (sharded) or
//                  diffusion_pytorch_model.safetensors, with the release's config.json beside it;
//                  for a preset with experts (Wan2.2 A14B) the same names inside each expert's
//                  folder (high_noise_model/, low_noise_model/) instead
//   vae            Wan2.1_VAE.safetensors (the Wan2.1 VAE: Wan2.1 and Wan2.2 A14B presets) /
//                  Wan2.2_VAE.safetensors (the Wan2.2 VAE: TI2V-5B)
//   text_encoder   models_t5_umt5-xxl-enc-bf16.safetensors
//   tokenizer      google/umt5-xxl/spiece.model
//   image_encoder  models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors (i2v, flf2v)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rank/model_preset.h"

namespace motionfarm::rank {

struct ModelFiles {
  std::string dit;  // presets without experts
  // Presets with experts: one DiT per expert, in the preset's order (empty entries: not given).
  std::vector<std::string> expert_dits;
  std::string vae;
  std::string text_encoder;
  std::string tokenizer;
  std::string image_encoder;  // empty for presets without an image branch

  // The release names above inside `folder` (whether or not they exist; check() says).
  static ModelFiles in_folder(const std::string& folder, const ModelPreset& preset);

  // This set with every non-empty path of `explicit_files` put in its place.
  ModelFiles overridden_by(const ModelFiles& explicit_files) const;

  // The DiT file of DiT `index` of `preset` (ModelPreset::dit_count): `dit`, or expert_dits[index].
  const std::string& dit_file(const ModelPreset& preset, int64_t index) const;

  // Throws InputError naming the option (--dit, --vae, ...) or the expert and the path of the
  // first file that is not given or does not exist; for a missing .safetensors next to its .pth,
  // says how to convert it. A DiT given by --dit for a preset with experts is refused.
  void check(const ModelPreset& preset) const;
};

}  // namespace motionfarm::rank
