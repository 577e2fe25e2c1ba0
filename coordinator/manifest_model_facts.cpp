#include "coordinator/manifest_model_facts.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "coordinator/did_you_mean.h"
#include "core/config_paths.h"
#include "core/error.h"
#include "model/preset_sampling.h"

namespace motionfarm::coordinator {
namespace {

constexpr int64_t kTemporalStride = 4;  // both Wan VAEs: 1 + 4n frames -> 1 + n latent frames

int64_t read_int(const YAML::Node& preset, const std::string& key, const std::string& path) {
  const YAML::Node value = preset[key];
  try {
    if (value) return value.as<int64_t>();
  } catch (const YAML::Exception&) {
  }
  throw ConfigError("model preset " + path + ": '" + key + "' is missing or not an integer");
}

}  // namespace

std::vector<std::string> known_model_presets() {
  std::vector<std::string> names;
  for (const std::string& dir : core::config_search_dirs()) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/models", error)) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string name = entry.path().stem().string();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelFacts model_facts_for_preset(const std::string& name) {
  const std::vector<std::string> known = known_model_presets();
  const bool plain_name = !name.empty() && name.find('/') == std::string::npos && name[0] != '.';
  if (!plain_name || std::find(known.begin(), known.end(), name) == known.end()) {
    throw ConfigError("unknown model preset '" + name + "'" + did_you_mean(name, known) +
                      "; known presets: " + join_names(known));
  }
  const std::string path = core::find_config_file("models/" + name + ".yaml");
  YAML::Node preset;
  try {
    preset = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw ConfigError("model preset " + path + " cannot be read: " + error.what());
  }
  ModelFacts facts;
  facts.name = name;
  facts.model_type = preset["model_type"] ? preset["model_type"].as<std::string>("") : "";
  facts.num_heads = read_int(preset, "num_heads", path);
  facts.dim = read_int(preset, "dim", path);
  facts.ffn_dim = read_int(preset, "ffn_dim", path);
  const int64_t latent_channels = read_int(preset, "out_dim", path);
  int64_t patch = 2;
  if (const YAML::Node patch_size = preset["patch_size"];
      patch_size && patch_size.IsSequence() && patch_size.size() == 3) {
    patch = patch_size[1].as<int64_t>(2);
  }
  // The Wan2.2 VAE (48 latent channels) downsamples 16x in space, the Wan2.1 VAE 8x; both 4x in
  // time. A token covers patch × patch latent pixels.
  const bool wan22_vae = latent_channels == 48;
  facts.spatial_stride = (wan22_vae ? 16 : 8) * patch;
  facts.temporal_stride = kTemporalStride;
  const model::PresetSampling sampling = model::preset_sampling_from_node(preset, path);
  for (const model::ExpertSpec& expert : sampling.experts) {
    facts.experts.push_back({expert.name, expert.folder, expert.boundary});
  }
  facts.default_steps = sampling.defaults.steps;
  facts.default_shift = sampling.defaults.shift;
  facts.default_guidance = sampling.defaults.guidance;

  // Render defaults of each family, as published with the checkpoints: Wan2.1 renders 81 frames
  // at 16 fps around 832x480; Wan2.2 TI2V-5B 121 frames at 24 fps around 1280x704. The tiny and
  // demo presets (untrained) render a few small frames so tests and the demo stay fast.
  facts.is_test_model = name.rfind("tiny-", 0) == 0 || name.rfind("demo-", 0) == 0;
  if (facts.is_test_model) {
    facts.max_frames_per_segment = 17;
    facts.default_width = 2 * facts.spatial_stride;
    facts.default_height = 2 * facts.spatial_stride;
    facts.default_fps = 8.0;
  } else if (wan22_vae) {
    facts.max_frames_per_segment = 121;
    facts.default_width = 1280;
    facts.default_height = 704;
    facts.default_fps = 24.0;
  } else {
    facts.max_frames_per_segment = 81;
    facts.default_width = 832;
    facts.default_height = 480;
    facts.default_fps = 16.0;
  }
  return facts;
}

}  // namespace motionfarm::coordinator
