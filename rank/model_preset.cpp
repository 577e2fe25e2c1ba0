#include "rank/model_preset.h"

#include <filesystem>

#include "core/check.h"
#include "core/config_paths.h"

namespace motionfarm::rank {
namespace {

// configs/models/components/<preset>/<part>.yaml, or "" when no search folder has one.
std::string find_component_file(const std::string& preset, const std::string& part) {
  for (const std::string& dir : core::config_search_dirs()) {
    const std::filesystem::path candidate =
        std::filesystem::path(dir) / "models" / "components" / preset / (part + ".yaml");
    if (std::filesystem::is_regular_file(candidate)) return candidate.string();
  }
  return "";
}

}  // namespace

const char* to_string(ConditioningKind kind) {
  switch (kind) {
    case ConditioningKind::kClipAndLatent:
      return "i2v (mask + first-frame latent + CLIP)";
    case ConditioningKind::kFirstLastFrame:
      return "flf2v (mask + first/last-frame latents + CLIP)";
    case ConditioningKind::kFirstFrameLatent:
      return "ti2v (clean first latent frame)";
    case ConditioningKind::kMaskAndLatent:
      return "i2v (mask + first-frame latent, no CLIP)";
  }
  return "unknown";
}

ConditioningKind ModelPreset::conditioning() const {
  if (dit.model_type == "flf2v") return ConditioningKind::kFirstLastFrame;
  if (dit.model_type == "ti2v") return ConditioningKind::kFirstFrameLatent;
  return dit.has_image_branch() ? ConditioningKind::kClipAndLatent
                                : ConditioningKind::kMaskAndLatent;
}

std::string ModelPreset::dit_name(int64_t index) const {
  MF_CHECK(index >= 0 && index < dit_count(), ConfigError,
           "preset '" << name << "' has no DiT " << index << " (it has " << dit_count() << ")");
  return has_experts() ? experts[static_cast<size_t>(index)].name : "dit";
}

int64_t ModelPreset::spatial_stride() const { return vae.spatial_factor() * dit.patch_size[1]; }

void ModelPreset::validate() const {
  const std::string where = "preset '" + name + "': ";
  dit.validate();
  vae.validate();
  text_encoder.validate();
  MF_CHECK(dit.model_type == "i2v" || dit.model_type == "flf2v" || dit.model_type == "ti2v",
           ConfigError,
           where << "the DiT is " << dit.model_type
                 << "; rendering from an image needs an i2v, flf2v or ti2v preset");
  MF_CHECK(dit.patch_size[0] == 1 && dit.patch_size[1] == dit.patch_size[2], ConfigError,
           where << "the pipeline supports patches of 1 x P x P only");
  MF_CHECK_EQ(vae.z_dim, dit.out_dim, ConfigError,
              where << "the VAE's latent channels must be the DiT's out_dim");
  if (dit.takes_conditioning_latent()) {
    // x (z) + mask (one channel per frame the first latent frame stands for) + image latent (z).
    MF_CHECK_EQ(dit.in_dim, 2 * vae.z_dim + vae.temporal_factor(), ConfigError,
                where << "an i2v DiT takes noise + mask + image latent as input channels");
  } else {
    MF_CHECK_EQ(dit.in_dim, vae.z_dim, ConfigError,
                where << "a ti2v DiT takes the latent alone as input channels");
  }
  // The image encoder exists exactly when the DiT has the CLIP branch (Wan2.1 i2v/flf2v); Wan2.2
  // i2v and ti2v take the image through the VAE alone.
  if (dit.has_image_branch()) {
    MF_CHECK(image_encoder.has_value(), ConfigError,
             where << dit.model_type << " needs an image encoder config");
    image_encoder->validate();
    MF_CHECK_EQ(image_encoder->dim, model::kClipFeatureDim, ConfigError,
                where << "the DiT's image projection takes CLIP features of this width");
    if (dit.has_image_position_table()) {
      MF_CHECK_EQ(image_encoder->tokens(), model::kClipTokensPerImage, ConfigError,
                  where << "flf2v's image position table is built for this many CLIP tokens");
    }
  } else {
    MF_CHECK(!image_encoder.has_value(), ConfigError,
             where << to_string(conditioning())
                   << " has no CLIP image branch; drop the image encoder config");
  }
  MF_CHECK_EQ(text_encoder.dim, dit.text_dim, ConfigError,
              where << "the text encoder's width must be the DiT's text_dim");
  MF_CHECK_LE(text_encoder.text_len, dit.text_len, ConfigError,
              where << "the tokenizer's text_len must fit the DiT's text_len");
  model::PresetSampling sampling_part{sampling, experts};
  try {
    sampling_part.validate();
  } catch (const ConfigError& error) {
    throw ConfigError(where + error.what());
  }
}

ModelPreset load_model_preset(const std::string& name) {
  ModelPreset preset = load_model_preset_parts(name);
  preset.validate();
  return preset;
}

ModelPreset load_model_preset_parts(const std::string& name) {
  ModelPreset preset;
  preset.name = name;
  preset.dit = model::load_dit_preset(name);
  const model::PresetSampling sampling = model::load_preset_sampling(name);
  preset.sampling = sampling.defaults;
  preset.experts = sampling.experts;
  // The latent width names the VAE: 48 channels are the Wan2.2 VAE's (TI2V-5B); Wan2.2's A14B
  // models keep the Wan2.1 VAE's 16, so the family does not decide it.
  const bool wan22 = preset.dit.out_dim == model::wan22_vae_preset().z_dim;

  const std::string vae_file = find_component_file(name, "vae");
  preset.vae = !vae_file.empty() ? model::load_vae_config(vae_file)
               : wan22           ? model::wan22_vae_preset()
                                 : model::wan21_vae_preset();

  const std::string text_file = find_component_file(name, "text_encoder");
  if (!text_file.empty()) {
    preset.text_encoder = model::load_umt5_config_file(text_file);
  } else {
    preset.text_encoder = model::umt5_xxl_config();
    preset.text_encoder.text_len = preset.dit.text_len;
  }

  if (preset.dit.has_image_branch()) {
    const std::string image_file = find_component_file(name, "image_encoder");
    preset.image_encoder = !image_file.empty() ? model::load_clip_vision_config_file(image_file)
                                               : model::clip_vit_h_14_config();
  }
  return preset;
}

}  // namespace motionfarm::rank
