// Flow-matching samplers: the schedule against hand-derived values of the reference's formula, the
// convergence order of Euler and UniPC on a flow with a closed-form solution, guidance at scale 1,
// and bitwise-identical resumes from a saved sampler state.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/error.h"
#include "model/euler_sampler.h"
#include "model/flow_schedule.h"
#include "model/guidance.h"
#include "model/sampler.h"
#include "model/unipc_sampler.h"

namespace motionfarm::model {
namespace {

// ---- Schedule
// ------------------------------------------------------------------------------------

TEST(FlowSchedule, MatchesTheReferenceFormulaForFourStepsShiftFive) {
  // sigma_max = float32(1 - 1/1000) = 0.99900001287460327; linspace(sigma_max, 0, 5)[:4] gives
  // sigma_max * {1, 3/4, 1/2, 1/4}; shifted 5 s / (1 + 4 s): e.g. 5 * 0.999 / (1 + 4 * 0.999) =
  // 4.995 / 4.996 = 0.99979984. Timesteps are 1000 sigma' truncated, as the reference's int64 cast.
  const FlowSchedule schedule(FlowScheduleConfig{4, 5.0, 1000});
  const std::vector<double> expected_sigmas{0.999799842450943, 0.9372654521088315,
                                            0.833055373827883, 0.6246873476991758, 0.0};
  ASSERT_EQ(schedule.sigmas().size(), expected_sigmas.size());
  for (size_t i = 0; i < expected_sigmas.size(); ++i) {
    EXPECT_DOUBLE_EQ(schedule.sigmas()[i], expected_sigmas[i]) << "sigma " << i;
  }
  EXPECT_EQ(schedule.timesteps(), (std::vector<double>{999, 937, 833, 624}));
  EXPECT_NEAR(5.0 * 0.999 / (1.0 + 4.0 * 0.999), schedule.sigmas()[0], 1e-7);
  EXPECT_EQ(schedule.sigma_f32(4), 0.0f);
}

TEST(FlowSchedule, WithoutShiftTheSigmasAreLinearAndTimestepsTruncate) {
  const FlowSchedule schedule(FlowScheduleConfig{4, 1.0, 1000});
  const double sigma_max = static_cast<float>(0.999);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(schedule.sigmas()[static_cast<size_t>(i)], sigma_max * (4 - i) / 4.0, 1e-15);
  }
  // 999.0000129, 749.25, 499.5, 249.75: truncated, not rounded.
  EXPECT_EQ(schedule.timesteps(), (std::vector<double>{999, 749, 499, 249}));
}

TEST(FlowSchedule, ShiftMatchesItsDefinition) {
  EXPECT_DOUBLE_EQ(shift_sigma(0.5, 3.0), 1.5 / 2.0);
  EXPECT_DOUBLE_EQ(shift_sigma(0.0, 7.0), 0.0);
  EXPECT_DOUBLE_EQ(shift_sigma(1.0, 7.0), 1.0);
  EXPECT_DOUBLE_EQ(shift_sigma(0.25, 1.0), 0.25);
}

TEST(FlowSchedule, RejectsStepsBelowOneAndShiftsThatAreNotPositive) {
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{0, 5.0, 1000}), ConfigError);
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{-3, 5.0, 1000}), ConfigError);
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{10, 0.0, 1000}), ConfigError);
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{10, -2.0, 1000}), ConfigError);
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{10, std::nan(""), 1000}), ConfigError);
  EXPECT_THROW(FlowSchedule(FlowScheduleConfig{10, 5.0, 1}), ConfigError);
  EXPECT_NO_THROW(FlowSchedule(FlowScheduleConfig{1, 0.5, 1000}));
}

TEST(FlowSchedule, UnknownSamplerNameIsAConfigError) {
  EXPECT_EQ(parse_sampler_kind("unipc"), SamplerKind::kUniPC);
  EXPECT_EQ(parse_sampler_kind("euler"), SamplerKind::kEuler);
  EXPECT_THROW(parse_sampler_kind("dpm++"), ConfigError);
}

// ---- Convergence on a flow with a closed-form solution
// --------------------------------------------

// Data x0 ~ N(mu, s^2), noise e ~ N(0, 1), x(sigma) = sigma e + (1 - sigma) x0. The exact velocity
// (the ideal model) is linear in x with a rational coefficient in sigma, and its ODE carries x(1)
// to the data along x(sigma) = (1 - sigma) mu + std(sigma) z with std(sigma)^2 = sigma^2 + (1 -
// sigma)^2 s^2. The x0 prediction x - sigma v is not constant in sigma, so neither sampler is exact
// and the discretisation error shows the order. Scalars in float64, so rounding stays far below the
// errors measured.
struct GaussianFlow {
  double mu = 0.0;
  double s = 1.0;
  double z = 1.0;

  double exact(double sigma) const {
    return (1 - sigma) * mu + std::sqrt(sigma * sigma + (1 - sigma) * (1 - sigma) * s * s) * z;
  }
  at::Tensor velocity(const at::Tensor& x, double sigma) const {
    const double var = sigma * sigma + (1 - sigma) * (1 - sigma) * s * s;
    return (x - (1 - sigma) * mu) * ((sigma - (1 - sigma) * s * s) / var) - mu;
  }
};

// The signed error of the latent at sigma 0 after sampling `flow` with `steps` steps.
double final_error(SamplerKind kind, int64_t steps, double shift, const GaussianFlow& flow) {
  const std::unique_ptr<Sampler> sampler = make_sampler(kind, FlowScheduleConfig{steps, shift});
  at::Tensor x = at::full({1}, flow.exact(sampler->schedule().sigma_f32(0)), at::kDouble);
  for (int64_t i = 0; i < steps; ++i) {
    // The model sees the float32 sigma the solver computes with.
    x = sampler->step(i, flow.velocity(x, sampler->schedule().sigma_f32(i)), x);
  }
  return x.item<double>() - flow.exact(0.0);
}

// Asserts log2(error(N) / error(2N)) is within [low, high] for each N in `steps`.
void expect_order(SamplerKind kind, const GaussianFlow& flow, double shift,
                  const std::vector<int64_t>& steps, double low, double high) {
  for (const int64_t n : steps) {
    const double coarse = final_error(kind, n, shift, flow);
    const double fine = final_error(kind, 2 * n, shift, flow);
    ASSERT_NE(fine, 0.0) << "the test flow must not be solved exactly";
    const double order = std::log2(std::abs(coarse / fine));
    EXPECT_GE(order, low) << "mu " << flow.mu << " s " << flow.s << " shift " << shift << " N " << n
                          << ": errors " << coarse << ", " << fine;
    EXPECT_LE(order, high) << "mu " << flow.mu << " s " << flow.s << " shift " << shift << " N "
                           << n << ": errors " << coarse << ", " << fine;
  }
}

const GaussianFlow kFlows[] = {
    {0.5, 1.0, 1.2}, {2.0, 1.5, 0.4}, {1.0, 2.0, -1.0}, {-1.0, 0.8, -0.7}};

TEST(SamplerConvergence, EulerIsFirstOrder) {
  for (const GaussianFlow& flow : kFlows) {
    for (const double shift : {1.0, 3.0, 5.0}) {
      expect_order(SamplerKind::kEuler, flow, shift, {8, 16, 32, 64}, 0.8, 1.2);
    }
  }
}

TEST(SamplerConvergence, UniPCIsSecondOrder) {
  // The last step (to sigma 0) is first order by design (lower_order_final), so the global order is
  // 2, reached from below or above as the higher-order terms fade. The larger the shift, the more
  // steps the schedule needs before the asymptotic order shows.
  for (const GaussianFlow& flow : kFlows) {
    expect_order(SamplerKind::kUniPC, flow, 1.0, {16, 32, 64}, 1.7, 2.4);
    expect_order(SamplerKind::kUniPC, flow, 3.0, {64, 128}, 1.7, 2.4);
    expect_order(SamplerKind::kUniPC, flow, 5.0, {128, 256}, 1.7, 2.4);
  }
}

TEST(SamplerConvergence, UniPCIsMoreAccurateThanEulerAtTheSameSteps) {
  for (const GaussianFlow& flow : kFlows) {
    EXPECT_LT(std::abs(final_error(SamplerKind::kUniPC, 32, 3.0, flow)),
              0.1 * std::abs(final_error(SamplerKind::kEuler, 32, 3.0, flow)))
        << "mu " << flow.mu;
  }
}

TEST(SamplerConvergence, UniPCSolvesAPointDataFlowExactly) {
  // With a single data point the x0 prediction is constant, which UniPC integrates exactly in any
  // number of steps; the last step lands on the x0 prediction.
  const at::Tensor data = at::tensor({0.25, -1.5, 3.0}, at::kDouble);
  const at::Tensor noise = at::tensor({1.0, 0.5, -2.0}, at::kDouble);
  UniPCSampler sampler(FlowScheduleConfig{7, 3.0});
  const double sigma0 = sampler.schedule().sigma_f32(0);
  at::Tensor x = sigma0 * noise + (1 - sigma0) * data;
  for (int64_t i = 0; i < 7; ++i) {
    const double sigma = sampler.schedule().sigma_f32(i);
    x = sampler.step(i, (x - data) / sigma, x);
  }
  EXPECT_LT((x - data).abs().max().item<double>(), 1e-12);
}

// ---- Stepping rules
// ----------------------------------------------------------------------------------

TEST(Sampler, StepsMustRunInOrderAndMatchInShape) {
  UniPCSampler sampler(FlowScheduleConfig{3, 1.0});
  const at::Tensor x = at::ones({2, 3});
  EXPECT_THROW(sampler.step(1, x, x), Error);
  EXPECT_THROW(sampler.step(0, at::ones({3, 2}), x), Error);
  EXPECT_THROW(sampler.step(0, x.to(at::kInt), x.to(at::kInt)), Error);
  at::Tensor y = x;
  for (int64_t i = 0; i < 3; ++i) {
    y = sampler.step(i, x, y);
  }
  EXPECT_THROW(sampler.step(3, x, y), Error);
  EXPECT_EQ(y.scalar_type(), at::kFloat);
}

TEST(Sampler, EulerStepIsSigmaDifferenceTimesVelocity) {
  EulerSampler sampler(FlowScheduleConfig{4, 5.0});
  const at::Tensor x = at::tensor({1.0f, -2.0f});
  const at::Tensor v = at::tensor({0.5f, 4.0f});
  const float dt = sampler.schedule().sigma_f32(1) - sampler.schedule().sigma_f32(0);
  const at::Tensor next = sampler.step(0, v, x);
  EXPECT_TRUE(at::equal(next, x + v * static_cast<double>(dt)));
}

// ---- Guidance
// ------------------------------------------------------------------------------------------

TEST(Guidance, ScaleOneReturnsTheConditionalBranchBitwise) {
  const at::Tensor cond = at::randn({3, 5, 7});
  const at::Tensor uncond = at::randn({3, 5, 7}) * 1e3;
  const at::Tensor guided = apply_guidance(uncond, cond, 1.0);
  EXPECT_TRUE(at::equal(guided, cond));
  EXPECT_EQ(guided.data_ptr(), cond.data_ptr());
}

TEST(Guidance, CombinesTheBranchesLikeTheReference) {
  const at::Tensor cond = at::randn({4, 6});
  const at::Tensor uncond = at::randn({4, 6});
  EXPECT_TRUE(at::equal(apply_guidance(uncond, cond, 5.0), uncond + 5.0 * (cond - uncond)));
  EXPECT_TRUE(at::allclose(apply_guidance(uncond, cond, 0.0), uncond));
  EXPECT_THROW(apply_guidance(uncond, cond, std::numeric_limits<double>::infinity()), ConfigError);
  EXPECT_THROW(apply_guidance(uncond, cond, -1.0), ConfigError);
  EXPECT_THROW(apply_guidance(uncond, at::randn({6, 4}), 2.0), Error);
}

TEST(Guidance, ScaleOneSkipsTheUnconditionalPass) {
  int uncond_calls = 0;
  const VelocityFn cond = [](const at::Tensor& x, double t) { return x * t; };
  const VelocityFn uncond = [&uncond_calls](const at::Tensor& x, double) {
    ++uncond_calls;
    return x;
  };
  const at::Tensor x = at::randn({8});
  EXPECT_TRUE(at::equal(guided_velocity(cond, uncond, 1.0)(x, 3.0), cond(x, 3.0)));
  EXPECT_EQ(uncond_calls, 0);
  const at::Tensor guided = guided_velocity(cond, uncond, 2.0)(x, 3.0);
  EXPECT_EQ(uncond_calls, 1);
  EXPECT_TRUE(at::equal(guided, x + 2.0 * (x * 3.0 - x)));
}

// ---- Resume from a saved state
// -------------------------------------------------------------------------

// A nonlinear stand-in for the model, so the multistep history matters.
at::Tensor toy_velocity(const at::Tensor& x, double timestep) {
  return at::tanh(x * (1.0 + timestep / 1000.0)) - 0.3 * x;
}

// Deep copies, as a checkpoint written to disk and read back would give.
SamplerState copy_state(const SamplerState& state) {
  SamplerState copy = state;
  for (at::Tensor& x0 : copy.model_outputs) {
    x0 = x0.clone();
  }
  if (copy.last_sample.defined()) {
    copy.last_sample = copy.last_sample.clone();
  }
  return copy;
}

TEST(SamplerResume, RestoredStateContinuesBitwiseIdentically) {
  const int64_t steps = 9;
  for (const SamplerKind kind : {SamplerKind::kUniPC, SamplerKind::kEuler}) {
    const FlowScheduleConfig config{steps, 5.0};
    const at::Tensor noise = at::randn({2, 3, 4, 5});
    const at::Tensor uninterrupted = run_sampler(*make_sampler(kind, config), toy_velocity, noise);

    for (int64_t stop_after = 0; stop_after <= steps; ++stop_after) {
      const std::unique_ptr<Sampler> first = make_sampler(kind, config);
      SamplerState saved;
      at::Tensor saved_latent = noise;
      at::Tensor latent = noise;
      for (int64_t i = 0; i < stop_after; ++i) {
        latent = first->step(i, toy_velocity(latent, first->timesteps()[static_cast<size_t>(i)]),
                             latent);
      }
      saved = copy_state(first->state());
      saved_latent = latent.clone();

      const std::unique_ptr<Sampler> resumed = make_sampler(kind, config);
      resumed->restore(saved);
      EXPECT_EQ(resumed->step_index(), stop_after);
      const at::Tensor result = run_sampler(*resumed, toy_velocity, saved_latent);
      EXPECT_TRUE(at::equal(result, uninterrupted))
          << (kind == SamplerKind::kUniPC ? "unipc" : "euler") << " resumed after " << stop_after
          << " steps differs by " << (result - uninterrupted).abs().max().item<double>();
    }
  }
}

TEST(SamplerResume, DroppingTheHistoryChangesTheResult) {
  // The multistep history is part of the state: restarting UniPC mid-run without it gives other
  // latents (so the bitwise test above checks something).
  const FlowScheduleConfig config{9, 5.0};
  const at::Tensor noise = at::randn({16});
  UniPCSampler full(config);
  const at::Tensor uninterrupted = run_sampler(full, toy_velocity, noise);

  UniPCSampler first_half(config);
  at::Tensor latent = noise;
  for (int64_t i = 0; i < 4; ++i) {
    latent = first_half.step(
        i, toy_velocity(latent, first_half.timesteps()[static_cast<size_t>(i)]), latent);
  }
  SamplerState state = first_half.state();
  state.model_outputs.front() = state.model_outputs.back();
  UniPCSampler resumed(config);
  resumed.restore(state);
  EXPECT_FALSE(at::equal(run_sampler(resumed, toy_velocity, latent), uninterrupted));
}

TEST(SamplerResume, RejectsStatesThatDoNotFit) {
  const FlowScheduleConfig config{6, 5.0};
  UniPCSampler unipc(config);
  at::Tensor latent = at::randn({4});
  for (int64_t i = 0; i < 3; ++i) {
    latent = unipc.step(i, toy_velocity(latent, unipc.timesteps()[static_cast<size_t>(i)]), latent);
  }
  const SamplerState good = unipc.state();

  EulerSampler euler(config);
  EXPECT_THROW(euler.restore(good), CheckpointError);
  UniPCSampler other_steps(FlowScheduleConfig{7, 5.0});
  EXPECT_THROW(other_steps.restore(good), CheckpointError);
  UniPCSampler other_shift(FlowScheduleConfig{6, 3.0});
  EXPECT_THROW(other_shift.restore(good), CheckpointError);

  UniPCSampler fresh(config);
  SamplerState no_history = good;
  no_history.model_outputs.clear();
  EXPECT_THROW(fresh.restore(no_history), CheckpointError);
  SamplerState no_last_sample = good;
  no_last_sample.last_sample = at::Tensor();
  EXPECT_THROW(fresh.restore(no_last_sample), CheckpointError);
  SamplerState past_end = good;
  past_end.step_index = 7;
  EXPECT_THROW(fresh.restore(past_end), CheckpointError);
  EXPECT_NO_THROW(fresh.restore(good));
}

TEST(SamplerResume, StepCallbackSeesEveryStepOnce) {
  UniPCSampler sampler(FlowScheduleConfig{5, 5.0});
  std::vector<int64_t> seen;
  run_sampler(sampler, toy_velocity, at::randn({3}),
              [&seen](int64_t step_index, const at::Tensor&) { seen.push_back(step_index); });
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sampler.step_index(), 5);
}

}  // namespace
}  // namespace motionfarm::model
