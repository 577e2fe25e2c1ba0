// A model preset as the pipeline needs it: the DiT architecture plus the VAE, text encoder and
// (Wan2.1 I2V/FLF2V) image encoder that go with it, the strides a render must respect, the
// preset's sampling defaults and, for a mixture-of-experts model (Wan2.2 A14B), its experts: one
// DiT per expert with the same architecture, each taking its own noise range of the schedule
// (model/expert_schedule.h). Sampling defaults and experts are data in the preset's YAML
// (model/preset_sampling.h), so no code path depends on a preset's name.
//
// The DiT comes from configs/models/<name>.yaml (model::load_dit_preset). The other parts come
// from configs/models/components/<name>/{vae,text_encoder,image_encoder}.yaml when such a file
// exists (the golden-vector format of model/), and otherwise from the released models of the
// preset's DiT: its latent width picks the released VAE (48 channels: the Wan2.2 VAE, TI2V-5B;
// 16: the Wan2.1 VAE, also used by Wan2.2 A14B), the text encoder is umT5-XXL, and a DiT with the
// CLIP branch (Wan2.1 i2v/flf2v) gets CLIP ViT-H/14.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/clip_config.h"
#include "model/expert_schedule.h"
#include "model/preset_sampling.h"
#include "model/umt5_config.h"
#include "model/vae_config.h"
#include "model/wan_dit_config.h"

namespace motionfarm::rank {

// How the input image enters the model, fixed by the DiT's model_type and image branch.
enum class ConditioningKind {
  kClipAndLatent,     // Wan2.1 i2v: mask + VAE latent of the first frame as `y`, CLIP tokens
  kFirstLastFrame,    // Wan2.1 flf2v: the same with the last frame too (two CLIP images)
  kFirstFrameLatent,  // Wan2.2 ti2v: the first latent frame replaced by the encoded image
  kMaskAndLatent,     // Wan2.2 i2v (A14B): mask + VAE latent of the first frame as `y`, no CLIP
};

// "i2v (mask + image latent + CLIP)", ...: for messages and logs.
const char* to_string(ConditioningKind kind);

struct ModelPreset {
  std::string name;
  model::WanDiTConfig dit;
  model::VaeConfig vae;
  model::Umt5Config text_encoder;
  std::optional<model::ClipVisionConfig> image_encoder;  // only with the DiT's CLIP branch
  model::SamplingDefaults sampling;        // steps, shift, guidance when a render does not say
  std::vector<model::ExpertSpec> experts;  // empty: one DiT; else one DiT per expert

  // Throws ConfigError when the parts do not fit together (latent channels, text width and
  // length, image branch against the conditioning and the image encoder, the experts) or the DiT
  // cannot take an image (t2v).
  void validate() const;

  ConditioningKind conditioning() const;
  bool has_experts() const { return !experts.empty(); }
  // DiTs the preset loads: 1, or one per expert.
  int64_t dit_count() const { return has_experts() ? static_cast<int64_t>(experts.size()) : 1; }
  // "high_noise", or "dit" for a preset without experts: for messages and logs.
  std::string dit_name(int64_t index) const;
  // Pixels per latent frame after the first (4 for Wan), and per DiT token side: the VAE's
  // spatial factor times the patch (16 for Wan2.1, 32 for Wan2.2).
  int64_t temporal_stride() const { return vae.temporal_factor(); }
  int64_t spatial_stride() const;
};

// Reads the preset `name` (see the file comment). Throws ConfigError naming the file and field
// for a preset that is missing, malformed or inconsistent.
ModelPreset load_model_preset(const std::string& name);

// The same parts without validate(): for looking at presets a render cannot use (a t2v DiT, a
// DiT-only test preset), e.g. to name the files of a release folder. Throws ConfigError for a
// preset that is missing or malformed.
ModelPreset load_model_preset_parts(const std::string& name);

}  // namespace motionfarm::rank
