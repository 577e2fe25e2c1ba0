// First-order Euler steps on the flow ODE: x_{i+1} = x_i + (sigma_{i+1} - sigma_i) * v_i.
//
// The same update as diffusers' FlowMatchEulerDiscreteScheduler: the step size is the difference of
// the float32 sigmas, computed in float32. Cheap and robust, but needs more steps than UniPC for
// the same error; useful as a baseline and for debugging a model.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "model/flow_schedule.h"
#include "model/sampler.h"

namespace motionfarm::model {

class EulerSampler : public Sampler {
 public:
  explicit EulerSampler(const FlowScheduleConfig& config) : Sampler(config) {}

  std::string name() const override { return "euler"; }
  int64_t step_index() const override { return step_index_; }
  at::Tensor step(int64_t step_index, const at::Tensor& model_output,
                  const at::Tensor& sample) override;
  SamplerState state() const override;
  void restore(const SamplerState& state) override;

 private:
  int64_t step_index_ = 0;
};

}  // namespace motionfarm::model
