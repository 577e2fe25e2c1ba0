#include "model/sampler.h"

#include <string>
#include <vector>

#include "core/check.h"
#include "model/euler_sampler.h"
#include "model/unipc_sampler.h"

namespace motionfarm::model {

void Sampler::check_step(int64_t step_index, int64_t expected_index, const at::Tensor& model_output,
                         const at::Tensor& sample) const {
  MF_CHECK_EQ(step_index, expected_index, Error,
              name() << " sampler: steps must run in order, each once");
  MF_CHECK_LT(step_index, num_steps(), Error, name() << " sampler: the schedule is finished");
  MF_CHECK(sample.defined() && model_output.defined(), Error,
           name() << " sampler: step " << step_index << " got an undefined tensor");
  MF_CHECK(
      sample.scalar_type() == at::kFloat || sample.scalar_type() == at::kDouble, Error,
      name() << " sampler: the latent must be float32 or float64, got " << sample.scalar_type());
  MF_CHECK(model_output.sizes() == sample.sizes(), Error,
           name() << " sampler: the velocity's shape " << model_output.sizes()
                  << " differs from the latent's " << sample.sizes());
}

void Sampler::check_state_header(const SamplerState& state) const {
  MF_CHECK(state.sampler == name(), CheckpointError,
           "the checkpoint's sampler state is for '" << state.sampler << "', this run uses '"
                                                     << name()
                                                     << "': resume with the same sampler");
  MF_CHECK(state.num_steps == num_steps() && state.shift == schedule().config().shift,
           CheckpointError,
           "the checkpoint was taken with " << state.num_steps << " steps and shift " << state.shift
                                            << ", this run uses " << num_steps() << " and "
                                            << schedule().config().shift
                                            << ": resume with the same sampling settings");
  MF_CHECK(
      state.step_index >= 0 && state.step_index <= num_steps(), CheckpointError,
      "the checkpoint's sampler step " << state.step_index << " is outside 0.." << num_steps());
}

SamplerKind parse_sampler_kind(std::string_view name) {
  if (name == "euler") {
    return SamplerKind::kEuler;
  }
  if (name == "unipc") {
    return SamplerKind::kUniPC;
  }
  throw ConfigError("unknown sampler '" + std::string(name) + "': use 'unipc' or 'euler'");
}

std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const FlowScheduleConfig& config) {
  switch (kind) {
    case SamplerKind::kEuler:
      return std::make_unique<EulerSampler>(config);
    case SamplerKind::kUniPC:
      return std::make_unique<UniPCSampler>(config);
  }
  throw ConfigError("unknown sampler kind");
}

at::Tensor run_sampler(Sampler& sampler, const VelocityFn& velocity, at::Tensor latent,
                       const StepCallback& after_step) {
  const std::vector<double>& timesteps = sampler.timesteps();
  for (int64_t i = sampler.step_index(); i < sampler.num_steps(); ++i) {
    const at::Tensor v = velocity(latent, timesteps[static_cast<size_t>(i)]);
    latent = sampler.step(i, v, latent);
    if (after_step) {
      after_step(i, latent);
    }
  }
  return latent;
}

}  // namespace motionfarm::model
