#include "coordinator/plan_calibration.h"

#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <vector>

#include "coordinator/manifest_model_facts.h"
#include "coordinator/plan_cost_model.h"
#include "core/check.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"
#include "model/wan_dit_weights.h"

namespace motionfarm::coordinator {

CalibrationResult calibrate_dit_forward(const CalibrationOptions& options) {
  MF_CHECK(options.repeats >= 1, ConfigError, "calibration needs at least one timed forward");
  c10::InferenceMode inference;
  const model::WanDiTConfig config = model::load_dit_preset(options.preset);
  const model::WanDiT dit(config,
                          model::WanDiTWeights::random(config, 1, {options.device, options.dtype}));
  const auto on_device = at::TensorOptions().device(options.device).dtype(at::kFloat);
  model::DiTInputs inputs;
  inputs.x = at::randn(
      {1, config.in_dim, options.latent_frames, options.latent_height, options.latent_width},
      on_device);
  inputs.t = at::full({1}, 500.0, on_device.dtype(at::kDouble));
  inputs.context = at::randn({1, config.text_len, config.text_dim}, on_device);
  if (config.in_dim > config.out_dim) {
    // Image-conditioned layouts take mask + image latent channels through `y`.
    inputs.x = inputs.x.narrow(1, 0, config.out_dim).contiguous();
    inputs.y = at::randn({1, config.in_dim - config.out_dim, options.latent_frames,
                          options.latent_height, options.latent_width},
                         on_device);
  }
  if (config.has_image_branch()) inputs.clip_fea = at::randn({1, 257, 1280}, on_device);

  const auto run = [&] {
    dit.forward(inputs);
    if (options.device.is_cuda()) torch::cuda::synchronize();
  };
  run();  // warm-up: allocator, kernels, caches
  std::vector<double> seconds;
  for (int i = 0; i < options.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());

  CalibrationResult result;
  result.tokens = options.latent_frames / config.patch_size[0] *
                  (options.latent_height / config.patch_size[1]) *
                  (options.latent_width / config.patch_size[2]);
  result.seconds = seconds[seconds.size() / 2];
  result.flops =
      dit_forward_flops(dit_cost_facts(model_facts_for_preset(options.preset)), result.tokens);
  return result;
}

std::string with_gpu_efficiency(const std::string& table_yaml, const std::string& gpu,
                                double efficiency) {
  MF_CHECK(efficiency > 0.0 && efficiency <= 1.0, ConfigError,
           "a measured efficiency must be in (0, 1], got " << efficiency);
  std::istringstream in(table_yaml);
  std::ostringstream out;
  std::string line;
  bool in_block = false, written = false;
  size_t block_indent = 0;
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    const bool blank = indent == std::string::npos || line[indent] == '#';
    if (!blank && line.compare(indent, gpu.size() + 1, gpu + ":") == 0) {
      in_block = true;
      block_indent = indent;
    } else if (!blank && in_block && indent <= block_indent) {
      in_block = false;
    }
    if (in_block && !written && !blank && line.compare(indent, 11, "efficiency:") == 0) {
      char value[32];
      std::snprintf(value, sizeof(value), "%.3f", efficiency);
      const size_t comment = line.find('#');
      line = line.substr(0, indent) + "efficiency: " + value +
             (comment == std::string::npos ? "" : "  " + line.substr(comment));
      written = true;
    }
    out << line << "\n";
  }
  MF_CHECK(written, ConfigError,
           "the GPU table has no kind '" << gpu << "' with an efficiency line to calibrate");
  return out.str();
}

}  // namespace motionfarm::coordinator
