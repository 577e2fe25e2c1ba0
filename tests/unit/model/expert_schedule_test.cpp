// Which expert takes which step (model/expert_schedule.h) and the presets' sampling data
// (model/preset_sampling.h): the public Wan2.2 A14B boundaries give the switch steps the
// reference's schedule gives, phases cover the schedule, and bad expert lists are refused by name.
#include "model/expert_schedule.h"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>

#include "core/error.h"
#include "model/preset_sampling.h"
#include "model/wan_dit_config.h"
#include "tests/support/test_paths.h"

namespace motionfarm::model {
namespace {

FlowSchedule schedule_of(int64_t steps, double shift) {
  FlowScheduleConfig config;
  config.num_steps = steps;
  config.shift = shift;
  return FlowSchedule(config);
}

std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// The public configs (wan/configs/wan_i2v_A14B.py, wan_t2v_A14B.py in Wan-Video/Wan2.2): boundary
// 0.900 / 0.875, sample_shift 5.0 / 12.0, sample_steps 40, sample_guide_scale (3.5, 3.5) /
// (3.0, 4.0) as (low_noise, high_noise); the experts live in high_noise_model/ and
// low_noise_model/.
TEST(PresetSampling, TheA14BPresetsCarryThePublicSamplingData) {
  const PresetSampling i2v = load_preset_sampling("wan2.2-i2v-a14b");
  ASSERT_EQ(i2v.experts.size(), 2u);
  EXPECT_EQ(i2v.experts[0].name, "high_noise");
  EXPECT_EQ(i2v.experts[0].folder, "high_noise_model");
  EXPECT_DOUBLE_EQ(i2v.experts[0].boundary, 0.900);
  EXPECT_EQ(i2v.experts[0].guidance, 3.5);
  EXPECT_EQ(i2v.experts[1].folder, "low_noise_model");
  EXPECT_DOUBLE_EQ(i2v.experts[1].boundary, 0.0);
  EXPECT_EQ(i2v.experts[1].guidance, 3.5);
  EXPECT_EQ(i2v.defaults.steps, 40);
  EXPECT_EQ(i2v.defaults.shift, 5.0);

  const PresetSampling t2v = load_preset_sampling("wan2.2-t2v-a14b");
  ASSERT_EQ(t2v.experts.size(), 2u);
  EXPECT_DOUBLE_EQ(t2v.experts[0].boundary, 0.875);
  EXPECT_EQ(t2v.experts[0].guidance, 4.0);
  EXPECT_EQ(t2v.experts[1].guidance, 3.0);
  EXPECT_EQ(t2v.defaults.steps, 40);
  EXPECT_EQ(t2v.defaults.shift, 12.0);

  // Presets without experts keep one DiT and the render's own defaults.
  for (const char* name : {"wan2.1-i2v-14b", "wan2.2-ti2v-5b", "tiny-ti2v", "demo-i2v"}) {
    const PresetSampling plain = load_preset_sampling(name);
    EXPECT_TRUE(plain.experts.empty()) << name;
    EXPECT_FALSE(plain.defaults.steps.has_value()) << name;
    EXPECT_FALSE(plain.defaults.guidance.has_value()) << name;
  }
  // Wan2.2's i2v has no CLIP branch; its architecture is otherwise Wan2.1 14B's.
  const WanDiTConfig dit = load_dit_preset("wan2.2-i2v-a14b");
  EXPECT_TRUE(dit.takes_conditioning_latent());
  EXPECT_FALSE(dit.has_image_branch());
  EXPECT_TRUE(load_dit_preset("wan2.1-i2v-14b").has_image_branch());
}

// Known answers: the timesteps of the reference's FlowUniPCMultistepScheduler.set_timesteps
// (sigmas linspace(float32(0.999), 0, steps + 1)[:-1], shifted, t = trunc(1000 sigma')) counted
// against t >= boundary x 1000, computed independently of this code: 40 steps at shift 5 have 15
// steps at t >= 900 (the 15th at t = 902, the 16th at 892); 40 at shift 12 have 26 at t >= 875
// (877, then 865).
TEST(ExpertSchedule, ThePublicBoundariesSwitchWhereTheReferenceDoes) {
  const PresetSampling i2v = load_preset_sampling("wan2.2-i2v-a14b");
  const FlowSchedule i2v_schedule = schedule_of(40, 5.0);
  EXPECT_EQ(expert_switch_step(i2v.experts, i2v_schedule), 15);
  EXPECT_EQ(i2v_schedule.timesteps()[14], 902);
  EXPECT_EQ(i2v_schedule.timesteps()[15], 892);

  const PresetSampling t2v = load_preset_sampling("wan2.2-t2v-a14b");
  const FlowSchedule t2v_schedule = schedule_of(40, 12.0);
  EXPECT_EQ(expert_switch_step(t2v.experts, t2v_schedule), 26);
  EXPECT_EQ(t2v_schedule.timesteps()[25], 877);
  EXPECT_EQ(t2v_schedule.timesteps()[26], 865);

  // Every step: the expert is high noise exactly when t >= boundary x 1000.
  for (const auto& [experts, schedule] :
       {std::pair{i2v.experts, i2v_schedule}, std::pair{t2v.experts, t2v_schedule}}) {
    const std::vector<int64_t> assignment = expert_per_step(experts, schedule);
    for (size_t step = 0; step < assignment.size(); ++step) {
      const bool high = schedule.timesteps()[step] >= experts[0].boundary * 1000.0;
      EXPECT_EQ(assignment[step], high ? 0 : 1) << "step " << step;
    }
  }
}

TEST(ExpertSchedule, PhasesAreContiguousAndCoverTheSchedule) {
  const std::vector<ExpertSpec> experts = load_preset_sampling("wan2.2-i2v-a14b").experts;
  const std::vector<ExpertPhase> phases = expert_phases(experts, schedule_of(40, 5.0));
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].expert, 0);
  EXPECT_EQ(phases[0].begin_step, 0);
  EXPECT_EQ(phases[0].end_step, 15);
  EXPECT_EQ(phases[1].expert, 1);
  EXPECT_EQ(phases[1].begin_step, 15);
  EXPECT_EQ(phases[1].end_step, 40);
  EXPECT_EQ(phases[0].steps() + phases[1].steps(), 40);

  // One step at t = 999 belongs to the high-noise expert; the low-noise one gets an empty phase.
  const std::vector<ExpertPhase> one = expert_phases(experts, schedule_of(1, 5.0));
  EXPECT_EQ(one[0].steps(), 1);
  EXPECT_EQ(one[1].begin_step, 1);
  EXPECT_EQ(one[1].steps(), 0);
  EXPECT_EQ(expert_switch_step(experts, schedule_of(1, 5.0)), 1);

  // Without experts: one phase over every step, no switch.
  const std::vector<ExpertPhase> single = expert_phases({}, schedule_of(8, 3.0));
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].end_step, 8);
  EXPECT_EQ(expert_switch_step({}, schedule_of(8, 3.0)), 8);
}

TEST(ExpertSchedule, AnUnavailableExpertsStepThrowsNamingIt) {
  const std::vector<ExpertSpec> experts = load_preset_sampling("wan2.2-t2v-a14b").experts;
  const VelocityFn high = [](const at::Tensor& latent, double) { return latent * 0; };
  const VelocityFn routed = route_to_experts(experts, {high, VelocityFn()}, 1000);
  const at::Tensor latent = at::ones({1, 2});
  EXPECT_NO_THROW(routed(latent, 875.0));
  const std::string message = error_of([&] { routed(latent, 874.0); });
  EXPECT_NE(message.find("belongs to expert 'low_noise', which is not loaded here"),
            std::string::npos)
      << message;
  EXPECT_THROW(route_to_experts(experts, {high}, 1000), ModelError);
}

TEST(ExpertSchedule, BadExpertListsAreRefusedByName) {
  const ExpertSpec high{"high_noise", "high_noise_model", 0.9, 3.5};
  const ExpertSpec low{"low_noise", "low_noise_model", 0.0, 3.5};
  EXPECT_NO_THROW(validate_experts({high, low}));
  EXPECT_NO_THROW(validate_experts({}));

  ExpertSpec last = low;
  last.boundary = 0.2;
  EXPECT_NE(error_of([&] {
              validate_experts({high, last});
            }).find("the last expert ('low_noise') must have boundary 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              validate_experts({low, high});
            }).find("boundaries must fall"),
            std::string::npos);
  ExpertSpec twin = low;
  twin.folder = "high_noise_model";
  EXPECT_NE(error_of([&] {
              validate_experts({high, twin});
            }).find("folder 'high_noise_model' is used twice"),
            std::string::npos);
  ExpertSpec bad_scale = low;
  bad_scale.guidance = -1.0;
  EXPECT_THROW(validate_experts({high, bad_scale}), ConfigError);
  ExpertSpec out_of_range = high;
  out_of_range.boundary = 1.0;
  EXPECT_NE(error_of([&] {
              validate_experts({out_of_range, low});
            }).find("must be in [0, 1)"),
            std::string::npos);
}

TEST(PresetSampling, AnUnknownExpertKeyIsRefusedWithItsPosition) {
  motionfarm::testing::ScratchDir dir("preset-sampling");
  const std::string path = dir.file("bad.yaml");
  std::ofstream(path) << "model_type: t2v\nexperts:\n"
                         "  - {name: high_noise, folder: high_noise_model, boundary: 0.9}\n"
                         "  - {name: low_noise, folder: low_noise_model, boundry: 0.0}\n";
  const std::string message =
      error_of([&] { preset_sampling_from_node(YAML::LoadFile(path), path); });
  EXPECT_NE(message.find(path + ":4:"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown expert key 'boundry'"), std::string::npos) << message;

  std::ofstream(path) << "model_type: t2v\nexperts:\n"
                         "  - {name: only, folder: dit, boundary: 0.0}\n";
  EXPECT_NE(error_of([&] {
              preset_sampling_from_node(YAML::LoadFile(path), path);
            }).find("at least two experts"),
            std::string::npos);
  // The DiT reader takes the same file and leaves the sampling keys to this one.
  std::ofstream(path) << "model_type: t2v\nsampling: {steps: 12}\n";
  EXPECT_NO_THROW(load_wan_dit_config_file(path));
  EXPECT_EQ(preset_sampling_from_node(YAML::LoadFile(path), path).defaults.steps, 12);
}

}  // namespace
}  // namespace motionfarm::model
