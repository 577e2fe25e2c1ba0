#include "io/checkpoint_interval.h"

#include <cmath>
#include <limits>

#include "core/check.h"

namespace motionfarm::io {

int64_t checkpoint_interval_steps(double step_seconds, double checkpoint_seconds,
                                  double max_overhead) {
  MF_CHECK(std::isfinite(step_seconds) && step_seconds > 0, Error,
           "step time " << step_seconds << " s must be positive");
  MF_CHECK(std::isfinite(checkpoint_seconds) && checkpoint_seconds >= 0, Error,
           "checkpoint time " << checkpoint_seconds << " s must be >= 0");
  MF_CHECK(std::isfinite(max_overhead) && max_overhead > 0 && max_overhead <= 1, Error,
           "checkpoint overhead budget " << max_overhead << " must be in (0, 1]");
  // The small slack keeps a ratio that is whole up to rounding (1.0000000000000002) at that
  // whole number.
  const double steps = std::ceil(checkpoint_seconds / (max_overhead * step_seconds) - 1e-9);
  // A step so fast that the interval overflows: checkpoints are never worth it.
  if (steps >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return steps < 1 ? 1 : static_cast<int64_t>(steps);
}

}  // namespace motionfarm::io
