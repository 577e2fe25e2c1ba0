// A model preset as the pipeline needs it: the DiT architecture plus the VAE, text encoder and
// (Wan2.1 I2V/FLF2V) image encoder that go with it, and the strides a render must respect.
//
// The DiT comes from configs/models/<name>.yaml (model::load_dit_preset). The other parts come
// from configs/models/components/<name>/{vae,text_encoder,image_encoder}.yaml when such a file
// exists (the golden-vector format of model/), and otherwise from the released models of the
// preset's family: Wan2.1 → the Wan2.1 VAE, umT5-XXL and (with an image branch) CLIP ViT-H/14;
// Wan2.2 → the Wan2.2 VAE and umT5-XXL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/clip_config.h"
#include "model/umt5_config.h"
#include "model/vae_config.h"
#include "model/wan_dit_config.h"

namespace motionfarm::rank {

// How the input image enters the model, fixed by the DiT's model_type.
enum class ConditioningKind {
  kClipAndLatent,     // Wan2.1 i2v: mask + VAE latent of the first frame as `y`, CLIP tokens
  kFirstLastFrame,    // Wan2.1 flf2v: the same with the last frame too (two CLIP images)
  kFirstFrameLatent,  // Wan2.2 ti2v: the first latent frame replaced by the encoded image
};

// "i2v (mask + image latent + CLIP)", ...: for messages and logs.
const char* to_string(ConditioningKind kind);

struct ModelPreset {
  std::string name;
  model::WanDiTConfig dit;
  model::VaeConfig vae;
  model::Umt5Config text_encoder;
  std::optional<model::ClipVisionConfig> image_encoder;  // i2v and flf2v only

  // Throws ConfigError when the parts do not fit together (latent channels, text width and
  // length, image branch) or the DiT cannot take an image (t2v).
  void validate() const;

  ConditioningKind conditioning() const;
  // Pixels per latent frame after the first (4 for Wan), and per DiT token side: the VAE's
  // spatial factor times the patch (16 for Wan2.1, 32 for Wan2.2).
  int64_t temporal_stride() const { return vae.temporal_factor(); }
  int64_t spatial_stride() const;
};

// Reads the preset `name` (see the file comment). Throws ConfigError naming the file and field
// for a preset that is missing, malformed or inconsistent.
ModelPreset load_model_preset(const std::string& name);

}  // namespace motionfarm::rank
