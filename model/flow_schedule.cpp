#include "model/flow_schedule.h"

#include <cmath>

#include "core/check.h"

namespace motionfarm::model {

void FlowScheduleConfig::validate() const {
  MF_CHECK_GE(num_steps, 1, ConfigError,
              "sampling needs at least one step: set steps to 1 or more");
  MF_CHECK(std::isfinite(shift) && shift > 0.0, ConfigError,
           "the sigma shift must be a finite number > 0 (Wan uses 3 to 5 for i2v), got " << shift);
  MF_CHECK_GE(num_train_timesteps, 2, ConfigError,
              "num_train_timesteps must be at least 2 (the Wan models use 1000)");
}

double shift_sigma(double sigma, double shift) {
  // Same operation order as the reference (numpy, float64), so the values agree to the last bit.
  return shift * sigma / (1.0 + (shift - 1.0) * sigma);
}

FlowSchedule::FlowSchedule(const FlowScheduleConfig& config) : config_(config) {
  config_.validate();
  const int64_t steps = config_.num_steps;
  const auto train_steps = static_cast<double>(config_.num_train_timesteps);

  // The reference's training sigmas are 1 - linspace(1, 1/T, T) reversed, stored as float32; their
  // first entry is the sampling schedule's start and the last (exactly 0) its end.
  const double sigma_max = static_cast<float>(1.0 - 1.0 / train_steps);
  const double sigma_min = 0.0;

  // numpy.linspace(start, stop, n): y_i = i * ((stop - start) / (n - 1)) + start in float64. Only
  // the first n - 1 entries are used, so numpy's exact `stop` in the last slot never matters.
  const double delta = (sigma_min - sigma_max) / static_cast<double>(steps);
  sigmas_.reserve(static_cast<size_t>(steps) + 1);
  timesteps_.reserve(static_cast<size_t>(steps));
  for (int64_t i = 0; i < steps; ++i) {
    const double sigma = shift_sigma(static_cast<double>(i) * delta + sigma_max, config_.shift);
    sigmas_.push_back(sigma);
    // The reference converts the float64 timesteps to int64, which truncates toward zero.
    timesteps_.push_back(std::trunc(sigma * train_steps));
  }
  sigmas_.push_back(0.0);
}

float FlowSchedule::sigma_f32(int64_t index) const {
  MF_CHECK(
      index >= 0 && index < static_cast<int64_t>(sigmas_.size()), Error,
      "sigma index " << index << " is outside the schedule of " << config_.num_steps << " steps");
  return static_cast<float>(sigmas_[static_cast<size_t>(index)]);
}

}  // namespace motionfarm::model
