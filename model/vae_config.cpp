#include "model/vae_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <sstream>

#include "core/check.h"
#include "core/error.h"
#include "model/config_yaml.h"

namespace motionfarm::model {
namespace {

template <class T>
std::vector<T> read_list(const std::string& source, const std::string& key,
                         const YAML::Node& value) {
  if (!value.IsSequence()) {
    throw ConfigError(yaml_position(source, value) + ": '" + key + "' must be a list");
  }
  std::vector<T> out;
  for (const auto& item : value) out.push_back(read_yaml_scalar<T>(source, key, item));
  return out;
}

}  // namespace

bool VaeConfig::has_attention_at(double scale) const {
  for (double s : attn_scales) {
    if (std::abs(s - scale) < 1e-9) return true;
  }
  return false;
}

int64_t VaeConfig::temporal_factor() const {
  int64_t factor = 1;
  for (bool down : temporal_downsample) factor *= down ? 2 : 1;
  return factor;
}

int64_t VaeConfig::spatial_factor() const {
  // One 2x downsampling between consecutive levels, and the 2x2 patchify of Wan2.2 on top.
  const int64_t levels = static_cast<int64_t>(dim_mult.size());
  const int64_t factor = int64_t{1} << (levels - 1);
  return architecture == VaeArchitecture::kWan22 ? 2 * factor : factor;
}

int64_t VaeConfig::image_channels() const {
  return architecture == VaeArchitecture::kWan22 ? 12 : 3;
}

void VaeConfig::validate() const {
  MF_CHECK_GT(dim, 0, ConfigError, "VAE dim must be positive");
  MF_CHECK_GT(dec_dim, 0, ConfigError, "VAE dec_dim must be positive");
  MF_CHECK_GT(z_dim, 0, ConfigError, "VAE z_dim must be positive");
  MF_CHECK_GE(dim_mult.size(), std::size_t{2}, ConfigError,
              "VAE dim_mult needs at least two levels");
  for (int64_t m : dim_mult)
    MF_CHECK_GT(m, 0, ConfigError, "VAE dim_mult entries must be positive");
  MF_CHECK_GT(num_res_blocks, 0, ConfigError, "VAE num_res_blocks must be positive");
  MF_CHECK_EQ(temporal_downsample.size(), dim_mult.size() - 1, ConfigError,
              "VAE temperal_downsample needs one flag per downsampling (dim_mult size - 1)");
  MF_CHECK_EQ(latents_mean.size(), static_cast<std::size_t>(z_dim), ConfigError,
              "VAE latents_mean needs one value per latent channel");
  MF_CHECK_EQ(latents_std.size(), static_cast<std::size_t>(z_dim), ConfigError,
              "VAE latents_std needs one value per latent channel");
  for (double s : latents_std) MF_CHECK_GT(s, 0.0, ConfigError, "VAE latents_std must be > 0");
  if (architecture == VaeArchitecture::kWan21) {
    MF_CHECK_EQ(dec_dim, dim, ConfigError,
                "the Wan2.1 VAE has one width: dec_dim must equal dim (use wan22_vae for a "
                "separate decoder width)");
    // The Wan2.1 decoder halves the channels in its upsampling convs and feeds the next level
    // dims[i] / 2 channels; that only fits when every level's width is even.
    for (int64_t m : dim_mult) {
      MF_CHECK_EQ((dim * m) % 2, 0, ConfigError,
                  "Wan2.1 VAE level widths dim * dim_mult must be even");
    }
  } else {
    // vae2_2.py builds no attention inside the levels; a non-empty list would be silently ignored.
    MF_CHECK(attn_scales.empty(), ConfigError,
             "the Wan2.2 VAE has no attention inside its levels: attn_scales must be empty");
    // The averaging / duplicating shortcuts regroup channels by whole factors.
    const std::vector<int64_t> enc = [&] {
      std::vector<int64_t> d{dim};
      for (int64_t m : dim_mult) d.push_back(dim * m);
      return d;
    }();
    for (std::size_t i = 0; i + 1 < enc.size(); ++i) {
      const bool last = i + 1 == dim_mult.size();
      const int64_t factor = (!last && temporal_downsample[i] ? 2 : 1) * (last ? 1 : 4);
      MF_CHECK_EQ((enc[i] * factor) % enc[i + 1], 0, ConfigError,
                  "Wan2.2 VAE encoder level " << i << ": in_dim * factor must divide by out_dim");
    }
  }
  if (tiling.enabled) {
    MF_CHECK_GT(tiling.tile_size, 0, ConfigError, "VAE tile_size must be positive");
    MF_CHECK_GE(tiling.overlap, 0, ConfigError, "VAE tile overlap must not be negative");
    MF_CHECK_LT(tiling.overlap, tiling.tile_size, ConfigError,
                "VAE tile overlap must be smaller than tile_size");
  }
}

VaeConfig wan21_vae_preset() {
  VaeConfig config;
  config.architecture = VaeArchitecture::kWan21;
  config.dim = 96;
  config.dec_dim = 96;
  config.z_dim = 16;
  // Published with the Wan2.1 release (wan/modules/vae.py, class WanVAE).
  config.latents_mean = {-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,  -0.1517, 1.5508,
                         0.4134,  -0.0715, 0.5517,  -0.3632, -0.1922, -0.9497, 0.2503,  -0.2921};
  config.latents_std = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
  return config;
}

VaeConfig wan22_vae_preset() {
  VaeConfig config;
  config.architecture = VaeArchitecture::kWan22;
  // Wan2_2_VAE passes c_dim=160 as the encoder width; the decoder keeps WanVAE_'s default 256.
  config.dim = 160;
  config.dec_dim = 256;
  config.z_dim = 48;
  // Published with the Wan2.2 release (wan/modules/vae2_2.py, class Wan2_2_VAE).
  config.latents_mean = {-0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174,  0.1838,  0.1557,
                         -0.1382, 0.0542,  0.2813,  0.0891,  0.1570,  -0.0098, 0.0375,  -0.1825,
                         -0.2246, -0.1207, -0.0698, 0.5109,  0.2665,  -0.2108, -0.2158, 0.2502,
                         -0.2055, -0.0322, 0.1109,  0.1567,  -0.0729, 0.0899,  -0.2799, -0.1230,
                         -0.0313, -0.1649, 0.0117,  0.0723,  -0.2839, -0.2083, -0.0520, 0.3748,
                         0.0152,  0.1957,  0.1433,  -0.2944, 0.3573,  -0.0548, -0.1681, -0.0667};
  config.latents_std = {0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013,
                        0.8158, 1.0344, 0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978,
                        0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
                        0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093,
                        0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
                        0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744};
  return config;
}

VaeConfig load_vae_config(const std::string& path) {
  const YAML::Node node = load_yaml_config_file(path, "VAE");
  if (!node.IsMap()) throw ConfigError(path + ": a VAE config must be a mapping of keys to values");

  // The module decides the defaults, so read it first.
  VaeConfig config = wan21_vae_preset();
  if (const YAML::Node module = node["module"]) {
    const auto name = read_yaml_scalar<std::string>(path, "module", module);
    if (name == "wan22_vae") {
      config = wan22_vae_preset();
    } else if (name != "wan_vae") {
      throw ConfigError(yaml_position(path, module) + ": module '" + name +
                        "' is not a VAE (expected wan_vae or wan22_vae)");
    }
  }
  bool dec_dim_given = false;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "module" || key == "dropout") {
      continue;  // read above / training only
    } else if (key == "dim") {
      config.dim = read_yaml_scalar<int64_t>(path, key, value);
    } else if (key == "dec_dim") {
      config.dec_dim = read_yaml_scalar<int64_t>(path, key, value);
      dec_dim_given = true;
    } else if (key == "z_dim") {
      config.z_dim = read_yaml_scalar<int64_t>(path, key, value);
    } else if (key == "dim_mult") {
      config.dim_mult = read_list<int64_t>(path, key, value);
    } else if (key == "num_res_blocks") {
      config.num_res_blocks = read_yaml_scalar<int64_t>(path, key, value);
    } else if (key == "attn_scales") {
      config.attn_scales = read_list<double>(path, key, value);
    } else if (key == "temperal_downsample" || key == "temporal_downsample") {
      config.temporal_downsample = read_list<bool>(path, key, value);
    } else if (key == "latents_mean") {
      config.latents_mean = read_list<double>(path, key, value);
    } else if (key == "latents_std") {
      config.latents_std = read_list<double>(path, key, value);
    } else {
      throw ConfigError(yaml_position(path, entry.first) + ": unknown VAE config key '" + key +
                        "'");
    }
  }
  // Wan2.1 has a single width; keep dec_dim in step with dim unless the file set it.
  if (config.architecture == VaeArchitecture::kWan21 && !dec_dim_given) config.dec_dim = config.dim;
  try {
    config.validate();
  } catch (const ConfigError& error) {
    throw ConfigError(path + ": " + error.what());
  }
  return config;
}

}  // namespace motionfarm::model
