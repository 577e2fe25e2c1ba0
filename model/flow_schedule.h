// The noise levels (sigmas) and model timesteps of a flow-matching sampling run, built exactly as
// the Wan reference's FlowUniPCMultistepScheduler.set_timesteps builds them.
//
// The reference's training schedule starts at sigma_max = float32(1 - 1/num_train_timesteps) (0.999
// for 1000 steps, not 1) and ends at sigma_min = 0. For `num_steps` steps it takes
//   sigma_i  = linspace(sigma_max, 0, num_steps + 1)[i]          i < num_steps, in float64
//   sigma'_i = shift * sigma_i / (1 + (shift - 1) * sigma_i)       the resolution shift
//   t_i      = trunc(num_train_timesteps * sigma'_i)               whole numbers, as int64 there
// and appends a final sigma of 0. The solvers compute with the float32 rounding of each sigma, as
// the reference does (it stores them as a float32 tensor).
#pragma once

#include <cstdint>
#include <vector>

namespace motionfarm::model {

struct FlowScheduleConfig {
  int64_t num_steps = 40;              // model evaluations per clip (Wan i2v default)
  double shift = 5.0;                  // > 1 spends more steps at high noise (Wan i2v default)
  int64_t num_train_timesteps = 1000;  // the reference's training schedule length

  // Throws ConfigError naming the first field that cannot work.
  void validate() const;
};

// The resolution shift sigma' = shift * sigma / (1 + (shift - 1) * sigma), in float64.
double shift_sigma(double sigma, double shift);

// An immutable schedule; cheap to copy.
class FlowSchedule {
 public:
  // Validates `config` (ConfigError) and builds the schedule.
  explicit FlowSchedule(const FlowScheduleConfig& config);

  const FlowScheduleConfig& config() const { return config_; }
  int64_t num_steps() const { return config_.num_steps; }

  // num_steps + 1 shifted sigmas in float64, decreasing, the last one exactly 0.
  const std::vector<double>& sigmas() const { return sigmas_; }
  // num_steps model timesteps (whole numbers in [0, num_train_timesteps)), one per step.
  const std::vector<double>& timesteps() const { return timesteps_; }
  // sigmas()[index] rounded to float32: the value every solver computes with.
  float sigma_f32(int64_t index) const;

 private:
  FlowScheduleConfig config_;
  std::vector<double> sigmas_;
  std::vector<double> timesteps_;
};

}  // namespace motionfarm::model
