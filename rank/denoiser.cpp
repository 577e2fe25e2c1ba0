#include "rank/denoiser.h"

#include <utility>

#include "model/guidance.h"

namespace motionfarm::rank {

model::VelocityFn DenoiserBackend::guide(model::VelocityFn cond, model::VelocityFn uncond,
                                         double scale) const {
  return model::guided_velocity(std::move(cond), std::move(uncond), scale);
}

at::Tensor LocalDenoiser::forward(const model::DiTInputs& inputs) const {
  return dit_.forward(inputs);
}

}  // namespace motionfarm::rank
