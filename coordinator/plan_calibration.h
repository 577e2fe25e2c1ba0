// `motionfarm bench calibrate`: measures how much of a GPU's peak a Wan DiT forward sustains on
// this machine, and writes it into the planner's GPU table (configs/gpus.yaml) so `plan` predicts
// with measured numbers instead of the shipped estimates.
//
// The FLOPs of the timed forward are counted by the planner's own cost model
// (plan_cost_model.h: dit_forward_flops), so a calibrated efficiency reproduces the measured time
// when the planner applies it to the same forward.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace motionfarm::coordinator {

struct CalibrationOptions {
  std::string preset = "wan2.1-t2v-1.3b";  // its DiT architecture, random weights
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
  int64_t latent_frames = 3, latent_height = 16, latent_width = 16;  // the forward's latent
  int repeats = 3;  // timed forwards after one warm-up; the median counts
};

struct CalibrationResult {
  int64_t tokens = 0;
  double seconds = 0.0;  // median forward time
  double flops = 0.0;    // of one forward, by the planner's count
  double sustained_flops() const { return flops / seconds; }
};

// Times DiT forwards as `options` says. Throws ConfigError for an unknown preset.
CalibrationResult calibrate_dit_forward(const CalibrationOptions& options);

// `table_yaml` (the text of a gpus.yaml) with the `efficiency:` of GPU kind `gpu` set to
// `efficiency`, everything else (comments, order, other kinds) unchanged. Throws ConfigError when
// the text has no such kind or the kind has no efficiency line, or the value is not in (0, 1].
std::string with_gpu_efficiency(const std::string& table_yaml, const std::string& gpu,
                                double efficiency);

}  // namespace motionfarm::coordinator
