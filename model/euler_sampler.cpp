#include "model/euler_sampler.h"

#include "core/check.h"

namespace motionfarm::model {

at::Tensor EulerSampler::step(int64_t step_index, const at::Tensor& model_output,
                              const at::Tensor& sample) {
  check_step(step_index, step_index_, model_output, sample);
  const float dt = schedule().sigma_f32(step_index + 1) - schedule().sigma_f32(step_index);
  at::Tensor next = sample + model_output.to(sample.scalar_type()) * static_cast<double>(dt);
  ++step_index_;
  return next;
}

SamplerState EulerSampler::state() const {
  SamplerState state;
  state.sampler = name();
  state.num_steps = num_steps();
  state.shift = schedule().config().shift;
  state.step_index = step_index_;
  return state;
}

void EulerSampler::restore(const SamplerState& state) {
  check_state_header(state);
  MF_CHECK(state.model_outputs.empty() && !state.last_sample.defined(), CheckpointError,
           "an Euler sampler state carries no history, but this one does: the checkpoint is "
           "corrupt");
  step_index_ = state.step_index;
}

}  // namespace motionfarm::model
