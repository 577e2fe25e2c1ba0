// Configuration of the Wan video VAEs (Wan2.1 and Wan2.2 layouts) and their published presets.
//
// The field names follow the reference constructors (`WanVAE_(dim, z_dim, dim_mult, ...)`), so a
// golden-vector JSON (../shared/golden/*_vae_*.json) loads with `load_vae_config`. The latent
// mean/std are the per-channel statistics the released wrappers normalise latents with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::model {

// Which reference the VAE follows: Wan2.1 (`wan/modules/vae.py`, 8x spatial, 3 RGB channels into
// the first conv) or Wan2.2 (`wan/modules/vae2_2.py`, 2x2 patchify into 12 channels, averaging /
// duplicating shortcuts, 16x spatial, separate decoder width).
enum class VaeArchitecture { kWan21, kWan22 };

// Optional spatial tiling of the decoder, in latent pixels. Off by default: tiles change the
// result slightly where they are blended (see docs/vae.md), in exchange for a peak activation
// memory that scales with the tile instead of the frame.
struct VaeTiling {
  bool enabled = false;
  int64_t tile_size = 32;  // latent pixels per tile side
  int64_t overlap = 8;     // latent pixels shared by neighbouring tiles, blended linearly
};

struct VaeConfig {
  VaeArchitecture architecture = VaeArchitecture::kWan21;
  int64_t dim = 96;      // encoder base width
  int64_t dec_dim = 96;  // decoder base width (Wan2.1 uses `dim` for both)
  int64_t z_dim = 16;    // latent channels
  std::vector<int64_t> dim_mult = {1, 2, 4, 4};
  int64_t num_res_blocks = 2;
  std::vector<double> attn_scales;  // Wan2.1 only; empty in every released model
  // One flag per downsampling level (the reference's `temperal_downsample`); the decoder uses
  // the reverse.
  std::vector<bool> temporal_downsample = {false, true, true};
  std::vector<double> latents_mean;  // z_dim values
  std::vector<double> latents_std;   // z_dim values, all > 0
  VaeTiling tiling;

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;

  // Frames per latent frame after the first, and pixels per latent pixel.
  int64_t temporal_factor() const;
  // Whether the encoder/decoder level at spatial `scale` (1, 1/2, 1/4, ...) has an attention
  // block (attn_scales).
  bool has_attention_at(double scale) const;
  int64_t spatial_factor() const;
  // Channels of the frames that enter the first encoder conv (3, or 12 after 2x2 patchify).
  int64_t image_channels() const;
};

// The released Wan2.1 VAE (`Wan2.1_VAE.pth`): dim 96, z_dim 16, with the published mean/std.
VaeConfig wan21_vae_preset();
// The released Wan2.2 VAE (`Wan2.2_VAE.pth`): dim 160, dec_dim 256, z_dim 48, published mean/std.
VaeConfig wan22_vae_preset();

// Reads the golden/reference JSON format (keys `module` = wan_vae | wan22_vae, `dim`, `z_dim`,
// `dim_mult`, `num_res_blocks`, `attn_scales`, `temperal_downsample`, `latents_mean`,
// `latents_std`, and `dec_dim` for wan22_vae). Missing keys keep the preset of that module.
// Throws ConfigError naming the file and the key; the result is validated.
VaeConfig load_vae_config(const std::string& path);

}  // namespace motionfarm::model
