#include "rank/finite_check.h"

#include <sstream>

namespace motionfarm::rank {

void check_finite(const at::Tensor& values, const std::string& step) {
  // One reduction in the common case; the counts only when something is wrong.
  if (at::isfinite(values).all().item<bool>()) return;
  const int64_t nans = at::isnan(values).sum().item<int64_t>();
  const int64_t infinities = at::isinf(values).sum().item<int64_t>();
  std::ostringstream message;
  message << step << " produced " << nans << " NaN and " << infinities << " infinite values (of "
          << values.numel()
          << "): the render is stopped before anything is encoded; check the weights' dtype and "
             "the guidance scale";
  throw NonFiniteError(message.str());
}

}  // namespace motionfarm::rank
