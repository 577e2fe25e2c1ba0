#include "rank/conditioned_velocity.h"

#include <utility>

namespace motionfarm::rank {

model::VelocityFn conditioned_velocity(const DenoiserBackend& backend,
                                       const PromptContexts& prompts,
                                       const ImageConditioning& conditioning,
                                       const LatentShape& latent, double guidance) {
  const bool per_token = conditioning.kind == ConditioningKind::kFirstFrameLatent;
  const int64_t patch = backend.config().patch_size[1];
  const int64_t multiple = backend.sequence_multiple();
  const auto branch = [&backend, conditioning, latent, per_token, patch,
                       multiple](const at::Tensor& context) -> model::VelocityFn {
    return [&backend, conditioning, latent, per_token, patch, multiple, context](
               const at::Tensor& x, double timestep) {
      model::DiTInputs inputs;
      inputs.x = x;
      // One timestep per sample (a batch samples its members in lockstep: the same step).
      const int64_t batch = x.size(0);
      inputs.t = per_token ? first_frame_token_timesteps(latent, patch, timestep, multiple)
                                 .expand({batch, -1})
                                 .contiguous()
                                 .to(x.device())
                           : at::full({batch}, timestep, x.options().dtype(at::kFloat));
      inputs.context = context;
      if (conditioning.y.defined()) inputs.y = conditioning.y;
      if (conditioning.clip_fea.defined()) inputs.clip_fea = conditioning.clip_fea;
      return backend.forward(inputs);
    };
  };
  return backend.guide(branch(prompts.prompt), branch(prompts.negative_prompt), guidance);
}

}  // namespace motionfarm::rank
