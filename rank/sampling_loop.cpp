#include "rank/sampling_loop.h"

#include <string>

#include "core/check.h"
#include "core/log.h"
#include "rank/finite_check.h"

namespace motionfarm::rank {

SamplingCheckpoint run_sampling(const model::VelocityFn& velocity, const at::Tensor& noise,
                                const SamplingOptions& options,
                                const ImageConditioning& conditioning, const StepObserver& observer,
                                const SamplingCheckpoint* resume) {
  const std::unique_ptr<model::Sampler> sampler =
      model::make_sampler(options.sampler, options.schedule);
  const bool replace_first = conditioning.kind == ConditioningKind::kFirstFrameLatent;
  at::Tensor latent = noise;
  int64_t first_step = 0;
  if (resume) {
    // restore() checks the sampler, step count and shift; the latent must be this render's.
    model::SamplerState state = resume->sampler;  // stored on the CPU; the loop runs on the device
    for (at::Tensor& output : state.model_outputs) output = output.to(noise.device());
    if (state.last_sample.defined()) state.last_sample = state.last_sample.to(noise.device());
    sampler->restore(state);
    MF_CHECK(resume->latent.sizes() == noise.sizes(), CheckpointError,
             "the stored latent has shape " << resume->latent.sizes() << ", this segment needs "
                                            << noise.sizes());
    latent = resume->latent.to(noise.device(), noise.scalar_type());
    first_step = resume->sampler.step_index;
    MF_LOG(Info, "pipeline") << "resuming at step " << first_step + 1 << " of "
                             << sampler->num_steps();
  } else if (replace_first) {
    latent = replace_first_latent_frame(latent, conditioning.first_frame_latent);
  }

  const int64_t steps = sampler->num_steps();
  const int64_t end_step = options.stop_before_step < 0 ? steps : options.stop_before_step;
  MF_CHECK(end_step >= first_step && end_step <= steps, ConfigError,
           "cannot stop before step " << end_step << ": the run starts at step " << first_step
                                      << " of " << steps);
  for (int64_t step = first_step; step < end_step; ++step) {
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
    if (observer) observer(step, SamplingCheckpoint{sampler->state(), latent});
  }
  return SamplingCheckpoint{sampler->state(), latent};
}

at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer, const SamplingCheckpoint* resume) {
  return run_sampling(velocity, noise, options, conditioning, observer, resume).latent;
}

}  // namespace motionfarm::rank
