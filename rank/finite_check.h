// Stops a render whose numbers went bad (NaN or Inf in a latent or a decoded frame) before it
// reaches a deliverable, with an error that names the step where it happened.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "core/error.h"

namespace motionfarm::rank {

// The model produced NaN/Inf. A per-asset failure: the farm records it and moves on.
class NonFiniteError : public ModelError {
 public:
  using ModelError::ModelError;
};

// Throws NonFiniteError "<step> produced N NaN and M infinite values (of K) ..." when `values`
// holds any; `step` names where, e.g. "sampling step 3 of 40".
void check_finite(const at::Tensor& values, const std::string& step);

}  // namespace motionfarm::rank
