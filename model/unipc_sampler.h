// UniPC multistep sampling for flow matching: the Wan reference's default sampler
// (FlowUniPCMultistepScheduler with solver_order 2, predict_x0, solver_type "bh2",
// lower_order_final, and the corrector UniC at every step after the first).
//
// Each step converts the velocity to a data prediction x0 = x - sigma * v, corrects the latent the
// last step predicted with UniC (using the new x0), then predicts the next latent with UniP from
// the last two x0 predictions, in lambda = log((1 - sigma) / sigma). The first step and the last
// step (to sigma 0) are first order. The step coefficients are computed in float32 from the float32
// sigmas, in the reference's operation order, on the CPU: they are the same on every device. Tensor
// arithmetic keeps the latent's dtype. One deviation by design: where the reference divides a
// tensor by a 0-d tensor, this multiplies by the float32 reciprocal (which is what the reference's
// CUDA kernels do), so CPU and GPU runs agree.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/flow_schedule.h"
#include "model/sampler.h"

namespace motionfarm::model {

class UniPCSampler : public Sampler {
 public:
  // Throws ConfigError when the shift pushes the first sigma to 1 in float32 (lambda = -inf).
  explicit UniPCSampler(const FlowScheduleConfig& config);

  std::string name() const override { return "unipc"; }
  int64_t step_index() const override { return step_index_; }
  at::Tensor step(int64_t step_index, const at::Tensor& model_output,
                  const at::Tensor& sample) override;
  SamplerState state() const override;
  void restore(const SamplerState& state) override;

 private:
  // The predictor's order at step `index`: 1 for the first and last steps, else 2.
  int64_t order_at(int64_t index) const;
  // UniC: the corrected latent at step_index_, from last_sample_, the x0 history and the x0 the
  // model gave at the predicted latent.
  at::Tensor correct(const at::Tensor& this_x0) const;
  // UniP: predicts the latent at step_index_ + 1 from `sample` and the x0 history.
  at::Tensor predict(const at::Tensor& sample) const;

  int64_t step_index_ = 0;
  std::vector<at::Tensor> x0_history_;  // the last min(step_index_, 2) x0 predictions, oldest first
  at::Tensor last_sample_;              // the (corrected) latent the last step started from
};

}  // namespace motionfarm::model
