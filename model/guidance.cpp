#include "model/guidance.h"

#include <cmath>
#include <utility>

#include "core/check.h"

namespace motionfarm::model {

void validate_guidance_scale(double scale) {
  MF_CHECK(std::isfinite(scale) && scale >= 0.0, ConfigError,
           "the guidance scale must be a finite number >= 0 (1 disables guidance; Wan i2v uses "
           "5), got "
               << scale);
}

at::Tensor apply_guidance(const at::Tensor& uncond, const at::Tensor& cond, double scale) {
  validate_guidance_scale(scale);
  if (scale == 1.0) {
    // No arithmetic: uncond + 1 * (cond - uncond) need not round back to cond.
    return cond;
  }
  MF_CHECK(uncond.sizes() == cond.sizes(), Error,
           "guidance: the unconditional velocity's shape "
               << uncond.sizes() << " differs from the conditional's " << cond.sizes());
  // The reference's operation order: the difference, scaled, added to the unconditional branch.
  return uncond + (cond - uncond) * scale;
}

VelocityFn guided_velocity(VelocityFn cond, VelocityFn uncond, double scale) {
  validate_guidance_scale(scale);
  if (scale == 1.0) {
    return cond;
  }
  return [cond = std::move(cond), uncond = std::move(uncond), scale](const at::Tensor& latent,
                                                                     double timestep) {
    const at::Tensor v_cond = cond(latent, timestep);
    const at::Tensor v_uncond = uncond(latent, timestep);
    return apply_guidance(v_uncond, v_cond, scale);
  };
}

}  // namespace motionfarm::model
