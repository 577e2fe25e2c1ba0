#include "parallel/cfg_parallel.h"

#include "core/check.h"
#include "model/guidance.h"

namespace motionfarm::parallel {

model::VelocityFn cfg_parallel_velocity(model::VelocityFn cond, model::VelocityFn uncond,
                                        double scale, Communicator* cfg) {
  model::validate_guidance_scale(scale);
  if (cfg == nullptr || cfg->size() == 1) {
    return model::guided_velocity(std::move(cond), std::move(uncond), scale);
  }
  MF_CHECK_EQ(cfg->size(), 2, ConfigError, "cfg parallelism splits a group into two halves");
  if (scale == 1.0) return cond;
  return [cond = std::move(cond), uncond = std::move(uncond), scale, cfg](const at::Tensor& latent,
                                                                          double timestep) {
    const bool conditional_half = cfg->rank() == 0;
    const at::Tensor mine =
        (conditional_half ? cond(latent, timestep) : uncond(latent, timestep)).contiguous();
    // [2, ...]: row 0 is the conditional branch, row 1 the unconditional one.
    const at::Tensor both = cfg->all_gather(mine.unsqueeze(0));
    return model::apply_guidance(both[1], both[0], scale);
  };
}

}  // namespace motionfarm::parallel
