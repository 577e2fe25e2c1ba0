#include "model/unipc_sampler.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/check.h"

namespace motionfarm::model {
namespace {

// The reference's solver_order: two x0 predictions are kept.
constexpr int64_t kSolverOrder = 2;

// lambda = log(alpha) - log(sigma) with alpha = 1 - sigma, in float32 like the reference.
float lambda_of(float sigma) { return std::log(1.0f - sigma) - std::log(sigma); }

// A 0-d tensor's value as the Scalar that multiplies a tensor: the float32 value, exactly.
at::Scalar coef(float value) { return at::Scalar(static_cast<double>(value)); }

// The part of a B(h) step both UniP and UniC share, between the sigmas of two adjacent steps
// (s0 the earlier, t the later), with predict_x0 and solver_type "bh2".
struct BhStep {
  float sigma_t = 0.0f;
  float alpha_t = 0.0f;
  float sigma_s0 = 0.0f;
  float lambda_s0 = 0.0f;
  float h = 0.0f;        // lambda_t - lambda_s0
  float hh = 0.0f;       // -h (predict_x0)
  float h_phi_1 = 0.0f;  // expm1(hh)
  float b_h = 0.0f;      // B(h) = expm1(hh) for bh2

  BhStep(float sigma_s0_in, float sigma_t_in) : sigma_t(sigma_t_in), sigma_s0(sigma_s0_in) {
    alpha_t = 1.0f - sigma_t;
    lambda_s0 = lambda_of(sigma_s0);
    h = lambda_of(sigma_t) - lambda_s0;  // +inf on the last step (sigma_t = 0); handled below
    hh = -h;
    h_phi_1 = std::expm1(hh);
    b_h = std::expm1(hh);
  }

  // sigma_t / sigma_s0 * x - alpha_t * h_phi_1 * m0, the first-order (DDIM-like) part.
  at::Tensor base(const at::Tensor& x, const at::Tensor& m0) const {
    return x * coef(sigma_t / sigma_s0) - m0 * coef(alpha_t * h_phi_1);
  }

  // rk = (lambda_si - lambda_s0) / h for the earlier point si.
  float ratio(float sigma_si) const { return (lambda_of(sigma_si) - lambda_s0) / h; }
};

// Solves [[1, 1], [rk, 1]] rho = b in float32 the way LAPACK's getrf/getrs does for 2x2 (partial
// pivoting, multiplier by the pivot's reciprocal), which is what torch.linalg.solve runs.
std::array<float, 2> solve_corrector_system(float rk, const std::array<float, 2>& b) {
  std::array<std::array<float, 2>, 2> a{{{1.0f, 1.0f}, {rk, 1.0f}}};
  std::array<float, 2> y = b;
  if (std::fabs(a[1][0]) > std::fabs(a[0][0])) {
    std::swap(a[0], a[1]);
    std::swap(y[0], y[1]);
  }
  const float l = a[1][0] * (1.0f / a[0][0]);
  const float u11 = a[1][1] - l * a[0][1];
  y[1] = y[1] - l * y[0];
  const float x1 = y[1] / u11;
  const float x0 = (y[0] - x1 * a[0][1]) / a[0][0];
  return {x0, x1};
}

}  // namespace

UniPCSampler::UniPCSampler(const FlowScheduleConfig& config) : Sampler(config) {
  MF_CHECK_LT(schedule().sigma_f32(0), 1.0f, ConfigError,
              "shift " << config.shift
                       << " moves the first sigma to 1 in float32, where UniPC's log-SNR is "
                          "infinite: use a smaller shift");
}

int64_t UniPCSampler::order_at(int64_t index) const {
  // lower_order_final: the last step (to sigma 0) is first order; warm-up: the first step has only
  // one x0 to use.
  const int64_t final_limit = std::min(kSolverOrder, num_steps() - index);
  const int64_t warmup_limit = std::min(index, kSolverOrder) + 1;
  return std::min(final_limit, warmup_limit);
}

at::Tensor UniPCSampler::step(int64_t step_index, const at::Tensor& model_output,
                              const at::Tensor& sample) {
  check_step(step_index, step_index_, model_output, sample);
  const at::Tensor v = model_output.to(sample.scalar_type());
  const at::Tensor x0 = sample - v * coef(schedule().sigma_f32(step_index));

  const at::Tensor corrected = step_index > 0 ? correct(x0) : sample;

  x0_history_.push_back(x0);
  if (static_cast<int64_t>(x0_history_.size()) > kSolverOrder) {
    x0_history_.erase(x0_history_.begin());
  }
  last_sample_ = corrected;
  at::Tensor next = predict(corrected);
  ++step_index_;
  return next;
}

at::Tensor UniPCSampler::correct(const at::Tensor& this_x0) const {
  // Redoes the step from sigma[i-1] to sigma[i] that the last predictor took, from the latent it
  // started at, now also using the x0 the model gave at the predicted latent; same order as then.
  const int64_t i = step_index_;
  const int64_t order = order_at(i - 1);
  const BhStep bh(schedule().sigma_f32(i - 1), schedule().sigma_f32(i));
  const at::Tensor& m0 = x0_history_.back();

  // h_phi_k / B(h) for k = 1, 2: the right-hand side of the corrector's order conditions.
  std::array<float, 2> b{};
  float h_phi_k = bh.h_phi_1 / bh.hh - 1.0f;
  b[0] = h_phi_k * 1.0f / bh.b_h;
  h_phi_k = h_phi_k / bh.hh - 0.5f;
  b[1] = h_phi_k * 2.0f / bh.b_h;

  const at::Tensor base = bh.base(last_sample_, m0);
  const at::Tensor d1_t = this_x0 - m0;
  at::Tensor correction;
  if (order == 1) {
    // The reference's simplified first-order corrector: rho = 1/2.
    correction = d1_t * coef(0.5f);
  } else {
    const float rk = bh.ratio(schedule().sigma_f32(i - 2));
    const at::Tensor d1 = (x0_history_.front() - m0) * coef(1.0f / rk);
    const std::array<float, 2> rho = solve_corrector_system(rk, b);
    correction = d1 * coef(rho[0]) + d1_t * coef(rho[1]);
  }
  return base - correction * coef(bh.alpha_t * bh.b_h);
}

at::Tensor UniPCSampler::predict(const at::Tensor& sample) const {
  const int64_t i = step_index_;
  const int64_t order = order_at(i);
  const BhStep bh(schedule().sigma_f32(i), schedule().sigma_f32(i + 1));
  const at::Tensor& m0 = x0_history_.back();
  const at::Tensor base = bh.base(sample, m0);
  if (order == 1) {
    return base;
  }
  // Second order: the reference fixes rho = 1/2 rather than solving for it.
  const float rk = bh.ratio(schedule().sigma_f32(i - 1));
  const at::Tensor d1 = (x0_history_.front() - m0) * coef(1.0f / rk);
  return base - (d1 * coef(0.5f)) * coef(bh.alpha_t * bh.b_h);
}

SamplerState UniPCSampler::state() const {
  SamplerState state;
  state.sampler = name();
  state.num_steps = num_steps();
  state.shift = schedule().config().shift;
  state.step_index = step_index_;
  state.model_outputs = x0_history_;
  state.last_sample = last_sample_;
  return state;
}

void UniPCSampler::restore(const SamplerState& state) {
  check_state_header(state);
  const auto expected_history = std::min(state.step_index, kSolverOrder);
  MF_CHECK_EQ(static_cast<int64_t>(state.model_outputs.size()), expected_history, CheckpointError,
              "the UniPC state at step " << state.step_index
                                         << " has the wrong number of x0 predictions: the "
                                            "checkpoint is corrupt");
  MF_CHECK(state.last_sample.defined() == (state.step_index > 0), CheckpointError,
           "the UniPC state at step " << state.step_index
                                      << (state.step_index > 0 ? " lacks" : " has")
                                      << " the last sample: the checkpoint is corrupt");
  for (const at::Tensor& x0 : state.model_outputs) {
    MF_CHECK(x0.defined() && x0.sizes() == state.last_sample.sizes(), CheckpointError,
             "the UniPC state's x0 predictions and last sample differ in shape: the checkpoint "
             "is corrupt");
  }
  step_index_ = state.step_index;
  x0_history_ = state.model_outputs;
  last_sample_ = state.last_sample;
}

}  // namespace motionfarm::model
