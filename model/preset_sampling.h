// What a model preset says about sampling, beside its architecture: the default steps, shift and
// guidance of the public config (`sample_steps`, `sample_shift`, `sample_guide_scale`), and the
// experts of a mixture-of-experts model. Both are optional keys of configs/models/<name>.yaml:
//
//   sampling:            # defaults a render uses when it does not say otherwise
//     steps: 40
//     shift: 5.0
//     guidance: 5.0      # for a preset without experts
//   experts:             # high noise first; see model/expert_schedule.h
//     - {name: high_noise, folder: high_noise_model, boundary: 0.900, guidance: 3.5}
//     - {name: low_noise,  folder: low_noise_model,  boundary: 0.0,   guidance: 3.5}
//
// A preset without these keys keeps the render's own defaults and one DiT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/expert_schedule.h"

namespace YAML {
class Node;
}

namespace motionfarm::model {

struct SamplingDefaults {
  std::optional<int64_t> steps;
  std::optional<double> shift;
  std::optional<double> guidance;
};

struct PresetSampling {
  SamplingDefaults defaults;
  std::vector<ExpertSpec> experts;  // empty: one DiT

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;
};

// Reads `sampling` and `experts` from a preset's mapping (its other keys are the DiT's and are
// not looked at). Unknown keys inside them are errors; messages carry source:line:col. Validated.
PresetSampling preset_sampling_from_node(const YAML::Node& preset, const std::string& source);

// The same from configs/models/<name>.yaml (core::find_config_file).
PresetSampling load_preset_sampling(const std::string& name);

}  // namespace motionfarm::model
