// What the manifest needs to know about a model, without loading it (no LibTorch here).
//
// The preset files under configs/models/ hold the DiT architecture only; the render defaults
// (frame rate, default pixel area, frames per segment) are facts about how each family was
// trained and live in the table in manifest_model_facts.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace motionfarm::coordinator {

// One expert of a mixture-of-experts preset (Wan2.2 A14B), as model::ExpertSpec has it: which
// steps it takes is decided by its boundary (model/expert_schedule.h).
struct ExpertFacts {
  std::string name;       // "high_noise"
  std::string folder;     // "high_noise_model": its DiT's subfolder of the release
  double boundary = 0.0;  // takes the steps with t >= boundary × 1000
};

struct ModelFacts {
  std::string name;             // the preset name
  std::string model_type;       // t2v, i2v, flf2v, ti2v
  int64_t spatial_stride = 16;  // pixels per token side: VAE stride (8 or 16) × patch (2)
  int64_t temporal_stride = 4;  // frames per latent frame after the first: segments have 4n+1
  int64_t num_heads = 0;
  int64_t dim = 0;
  int64_t ffn_dim = 0;
  int64_t max_frames_per_segment = 81;  // the longest segment the model was trained on (4n+1)
  int64_t default_width = 832;          // the landscape size the model was trained at; `resolution:
  int64_t default_height = 480;         // auto` keeps its pixel area at the image's aspect
  double default_fps = 16.0;
  bool is_test_model = false;        // tiny-* and demo-* presets: `weights: random` allowed
  std::vector<ExpertFacts> experts;  // high noise first; empty: one DiT
  // The preset's `sampling:` defaults (model/preset_sampling.h): the job's sampler starts from
  // them, and `sampler:` or an asset overrides them.
  std::optional<int64_t> default_steps;
  std::optional<double> default_shift;
  std::optional<double> default_guidance;

  int64_t default_pixel_area() const { return default_width * default_height; }
  // Text-to-video models take no image.
  bool takes_image() const { return model_type != "t2v"; }
  // Image-to-video models cannot run without one (ti2v can, as text-to-video).
  bool needs_image() const { return model_type == "i2v" || model_type == "flf2v"; }
};

// The preset names found under models/ in every config search dir (core/config_paths.h), sorted.
std::vector<std::string> known_model_presets();

// Reads configs/models/<name>.yaml (keys num_heads, dim, ffn_dim, out_dim, patch_size,
// model_type, family, experts) and adds the render defaults of its family. Throws ConfigError
// listing the known presets when there is no such file, or naming the key that is missing or
// malformed.
ModelFacts model_facts_for_preset(const std::string& name);

}  // namespace motionfarm::coordinator
