#include "rank/sampling_loop.h"

#include <string>

#include "core/log.h"
#include "rank/finite_check.h"

namespace motionfarm::rank {

at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer) {
  const std::unique_ptr<model::Sampler> sampler =
      model::make_sampler(options.sampler, options.schedule);
  const bool replace_first = conditioning.kind == ConditioningKind::kFirstFrameLatent;
  at::Tensor latent = noise;
  if (replace_first) latent = replace_first_latent_frame(latent, conditioning.first_frame_latent);

  const int64_t steps = sampler->num_steps();
  for (int64_t step = 0; step < steps; ++step) {
    const double timestep = sampler->timesteps()[static_cast<size_t>(step)];
    const at::Tensor v = velocity(latent, timestep);
    // The sampler sees the re-applied latent at the next step, as the reference's scheduler does.
    latent = sampler->step(step, v, latent);
    if (replace_first) {
      latent = replace_first_latent_frame(latent, conditioning.first_frame_latent);
    }
    check_finite(latent, "sampling step " + std::to_string(step + 1) + " of " +
                             std::to_string(steps) + " (timestep " +
                             std::to_string(static_cast<int64_t>(timestep)) + ")");
    MF_LOG(Debug, "pipeline") << "step " << step + 1 << "/" << steps << " t=" << timestep;
    if (observer) observer(step, latent);
  }
  return latent;
}

}  // namespace motionfarm::rank
