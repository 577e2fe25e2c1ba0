// Two-expert sampling (Wan2.2 A14B) through the pipeline's own composition (render_velocity +
// run_sampling, as I2VPipeline::sample_steps runs them): with two recording experts whose
// velocities tell them apart, every step goes to the expert the public rule names
// (t >= boundary x 1000 -> high noise) with that expert's guidance scale, for both public
// boundaries; and a run stopped at the expert switch resumes from its checkpoint, with only the
// other expert available, bitwise to the uninterrupted result.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/expert_schedule.h"
#include "model/preset_sampling.h"
#include "rank/i2v_pipeline.h"
#include "rank/sampling_loop.h"

namespace motionfarm::rank {
namespace {

struct Call {
  int expert;
  double timestep;
  bool conditional;
};

// A DiT stand-in: the conditional branch (prompt context of ones) returns `offset + 1`, the
// unconditional one (negative prompt of zeros) `offset`, so the guided velocity is
// offset + scale: it names both the expert (by its offset) and the scale it was guided with.
class RecordingExpert final : public DenoiserBackend {
 public:
  RecordingExpert(const model::WanDiTConfig& config, int id, double offset, std::vector<Call>& log)
      : config_(config), id_(id), offset_(offset), log_(log) {}

  const model::WanDiTConfig& config() const override { return config_; }
  at::Tensor forward(const model::DiTInputs& inputs) const override {
    const bool conditional = inputs.context.sum().item<double>() > 0.0;
    log_.push_back({id_, inputs.t.view(-1)[0].item<double>(), conditional});
    return at::full(inputs.x.sizes(), offset_ + (conditional ? 1.0 : 0.0), inputs.x.options());
  }

 private:
  model::WanDiTConfig config_;
  int id_;
  double offset_;
  std::vector<Call>& log_;
};

constexpr double kHighOffset = 10.0;
constexpr double kLowOffset = 20.0;

// A two-expert preset with `source`'s experts and sampling defaults, over a tiny i2v DiT.
ModelPreset expert_preset(const std::string& source) {
  ModelPreset preset;
  preset.name = source;
  preset.dit = model::load_dit_preset("tiny-i2v-a14b");
  const model::PresetSampling sampling = model::load_preset_sampling(source);
  preset.sampling = sampling.defaults;
  preset.experts = sampling.experts;
  return preset;
}

PreparedRender prepared_render(const model::WanDiTConfig& dit) {
  PreparedRender prepared;
  prepared.latent = LatentShape{dit.out_dim, 2, 4, 4};
  prepared.prompts.prompt = at::ones({1, 3, dit.text_dim});
  prepared.prompts.negative_prompt = at::zeros({1, 3, dit.text_dim});
  prepared.conditioning.kind = ConditioningKind::kMaskAndLatent;
  prepared.conditioning.y = at::zeros({1, dit.in_dim - dit.out_dim, 2, 4, 4});
  prepared.noise = at::randn(prepared.latent.sizes(), at::TensorOptions().dtype(at::kFloat));
  return prepared;
}

struct Observed {
  std::vector<Call> calls;
  std::vector<double> velocity;  // per step, recovered from the Euler update
};

// Runs `preset`'s full default schedule with the Euler sampler, recording every forward and
// recovering each step's guided velocity from the latents: x' = x + (sigma' - sigma) v.
Observed run_recorded(const ModelPreset& preset, std::optional<double> guidance) {
  Observed observed;
  const RecordingExpert high(preset.dit, 0, kHighOffset, observed.calls);
  const RecordingExpert low(preset.dit, 1, kLowOffset, observed.calls);
  const PreparedRender prepared = prepared_render(preset.dit);
  RenderRequest request;
  request.steps = *preset.sampling.steps;
  request.shift = *preset.sampling.shift;
  request.sampler = model::SamplerKind::kEuler;
  request.guidance = guidance;
  const model::VelocityFn velocity =
      render_velocity(preset, {&high, &low}, prepared, guidance_per_dit(preset, request.guidance));
  const model::FlowSchedule schedule(sampling_options(request).schedule);
  at::Tensor before = prepared.noise;
  run_sampling(velocity, prepared.noise, sampling_options(request), prepared.conditioning,
               [&](int64_t step, const SamplingCheckpoint& after) {
                 const double dt = static_cast<double>(schedule.sigma_f32(step + 1)) -
                                   static_cast<double>(schedule.sigma_f32(step));
                 observed.velocity.push_back(((after.latent - before) / dt).mean().item<double>());
                 before = after.latent;
               });
  return observed;
}

// Checks every step of `preset`'s schedule: the expert called (both branches, that expert only)
// and the scale its velocity was guided with.
void expect_steps_follow_the_boundary(const ModelPreset& preset, double high_scale,
                                      double low_scale, std::optional<double> guidance) {
  const Observed observed = run_recorded(preset, guidance);
  RenderRequest request;
  request.steps = *preset.sampling.steps;
  request.shift = *preset.sampling.shift;
  const model::FlowSchedule schedule(sampling_options(request).schedule);
  const double boundary = preset.experts[0].boundary * 1000.0;
  ASSERT_EQ(observed.calls.size(), 2 * schedule.timesteps().size());
  ASSERT_EQ(observed.velocity.size(), schedule.timesteps().size());
  int64_t high_steps = 0;
  for (size_t step = 0; step < schedule.timesteps().size(); ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const double t = schedule.timesteps()[step];
    const int expected = t >= boundary ? 0 : 1;  // the reference's rule, from the schedule alone
    high_steps += expected == 0 ? 1 : 0;
    const Call& cond = observed.calls[2 * step];
    const Call& uncond = observed.calls[2 * step + 1];
    EXPECT_EQ(cond.expert, expected);
    EXPECT_EQ(uncond.expert, expected);
    EXPECT_TRUE(cond.conditional);
    EXPECT_FALSE(uncond.conditional);
    EXPECT_EQ(cond.timestep, t);
    const double offset = expected == 0 ? kHighOffset : kLowOffset;
    const double scale = expected == 0 ? high_scale : low_scale;
    EXPECT_NEAR(observed.velocity[step], offset + scale, 1e-2);
  }
  EXPECT_EQ(high_steps, model::expert_switch_step(preset.experts, schedule));
}

// Wan2.2 I2V A14B: boundary 0.900, shift 5, 40 steps, guidance 3.5 for both experts: 15 steps of
// the high-noise expert.
TEST(TwoExpertSampling, I2vA14bBoundary0900StepsAndGuidance) {
  const ModelPreset preset = expert_preset("wan2.2-i2v-a14b");
  expect_steps_follow_the_boundary(preset, 3.5, 3.5, std::nullopt);
  EXPECT_EQ(model::expert_switch_step(preset.experts,
                                      model::FlowSchedule(model::FlowScheduleConfig{40, 5.0})),
            15);
}

// Wan2.2 T2V A14B: boundary 0.875, shift 12, 40 steps, guidance (low 3.0, high 4.0): 26 steps of
// the high-noise expert at 4.0, then 14 of the low-noise one at 3.0.
TEST(TwoExpertSampling, T2vA14bBoundary0875StepsAndPerExpertGuidance) {
  const ModelPreset preset = expert_preset("wan2.2-t2v-a14b");
  expect_steps_follow_the_boundary(preset, 4.0, 3.0, std::nullopt);
  EXPECT_EQ(model::expert_switch_step(preset.experts,
                                      model::FlowSchedule(model::FlowScheduleConfig{40, 12.0})),
            26);
}

// A render's own scale applies to every expert, as the reference's single guide_scale does.
TEST(TwoExpertSampling, ARenderScaleOverridesBothExperts) {
  const ModelPreset preset = expert_preset("wan2.2-t2v-a14b");
  expect_steps_follow_the_boundary(preset, 6.0, 6.0, 6.0);
  EXPECT_EQ(guidance_per_dit(preset, std::nullopt), (std::vector<double>{4.0, 3.0}));
  EXPECT_EQ(guidance_per_dit(preset, 2.0), (std::vector<double>{2.0, 2.0}));
}

// The farm's phase batching: run the high-noise phase, park the checkpoint, run the low-noise
// phase from it with only the low-noise expert present; the result equals the uninterrupted run
// bitwise (UniPC carries its history across the switch, as the reference's one scheduler does).
TEST(TwoExpertSampling, APhaseSplitAtTheSwitchResumesBitwise) {
  const ModelPreset preset = expert_preset("wan2.2-i2v-a14b");
  std::vector<Call> calls;
  const RecordingExpert high(preset.dit, 0, kHighOffset, calls);
  const RecordingExpert low(preset.dit, 1, kLowOffset, calls);
  const PreparedRender prepared = prepared_render(preset.dit);
  RenderRequest request;
  request.steps = 12;
  request.shift = 5.0;
  const std::vector<double> guidance = guidance_per_dit(preset, std::nullopt);
  const std::vector<model::ExpertPhase> phases = render_phases(preset, request);
  ASSERT_EQ(phases.size(), 2u);
  ASSERT_GT(phases[0].steps(), 0);
  ASSERT_GT(phases[1].steps(), 0);

  const at::Tensor whole =
      run_sampling(render_velocity(preset, {&high, &low}, prepared, guidance), prepared.noise,
                   sampling_options(request), prepared.conditioning)
          .latent;

  calls.clear();
  SamplingOptions first = sampling_options(request);
  first.stop_before_step = phases[0].end_step;
  const SamplingCheckpoint parked =
      run_sampling(render_velocity(preset, {&high, nullptr}, prepared, guidance), prepared.noise,
                   first, prepared.conditioning);
  EXPECT_EQ(parked.sampler.step_index, phases[0].end_step);
  for (const Call& call : calls) EXPECT_EQ(call.expert, 0);
  EXPECT_EQ(static_cast<int64_t>(calls.size()), 2 * phases[0].steps());

  // The parked state as a store keeps it: on the CPU, detached from the run.
  SamplingCheckpoint stored{parked.sampler, parked.latent.clone()};
  for (at::Tensor& output : stored.sampler.model_outputs) output = output.clone();
  calls.clear();
  const at::Tensor resumed =
      run_sampling(render_velocity(preset, {nullptr, &low}, prepared, guidance), prepared.noise,
                   sampling_options(request), prepared.conditioning, {}, &stored)
          .latent;
  for (const Call& call : calls) EXPECT_EQ(call.expert, 1);
  EXPECT_EQ(static_cast<int64_t>(calls.size()), 2 * phases[1].steps());
  EXPECT_TRUE(at::equal(resumed, whole));

  // Only the high-noise expert, past the switch: refused, naming the missing expert.
  try {
    run_sampling(render_velocity(preset, {&high, nullptr}, prepared, guidance), prepared.noise,
                 sampling_options(request), prepared.conditioning);
    FAIL() << "the low-noise steps ran without the low-noise expert";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("expert 'low_noise', which is not loaded here"),
              std::string::npos)
        << error.what();
  }
  // A stop before the resume point cannot be honoured.
  SamplingOptions backwards = sampling_options(request);
  backwards.stop_before_step = phases[0].end_step - 1;
  EXPECT_THROW(run_sampling(render_velocity(preset, {nullptr, &low}, prepared, guidance),
                            prepared.noise, backwards, prepared.conditioning, {}, &stored),
               ConfigError);
}

}  // namespace
}  // namespace motionfarm::rank
