#include "model/expert_schedule.h"

#include <cmath>
#include <set>
#include <utility>

#include "core/check.h"
#include "model/guidance.h"

namespace motionfarm::model {

void validate_experts(const std::vector<ExpertSpec>& experts) {
  std::set<std::string> names;
  std::set<std::string> folders;
  for (size_t i = 0; i < experts.size(); ++i) {
    const ExpertSpec& expert = experts[i];
    const std::string where = "expert " + std::to_string(i) + " ('" + expert.name + "'): ";
    MF_CHECK(!expert.name.empty(), ConfigError, where << "needs a name");
    MF_CHECK(!expert.folder.empty(), ConfigError,
             where << "needs the folder of its DiT in a release (e.g. high_noise_model)");
    MF_CHECK(names.insert(expert.name).second, ConfigError, where << "the name is used twice");
    MF_CHECK(folders.insert(expert.folder).second, ConfigError,
             where << "folder '" << expert.folder << "' is used twice");
    MF_CHECK(std::isfinite(expert.boundary) && expert.boundary >= 0.0 && expert.boundary < 1.0,
             ConfigError, where << "boundary " << expert.boundary << " must be in [0, 1)");
    if (i > 0) {
      MF_CHECK(expert.boundary < experts[i - 1].boundary, ConfigError,
               where << "boundaries must fall from the high-noise expert to the low-noise one ("
                     << experts[i - 1].boundary << " then " << expert.boundary << ")");
    }
    if (expert.guidance) {
      try {
        validate_guidance_scale(*expert.guidance);
      } catch (const ConfigError& error) {
        throw ConfigError(where + error.what());
      }
    }
  }
  MF_CHECK(experts.empty() || experts.back().boundary == 0.0, ConfigError,
           "the last expert ('" << experts.back().name
                                << "') must have boundary 0 so that it takes every remaining step");
}

int64_t expert_for_timestep(const std::vector<ExpertSpec>& experts, double timestep,
                            int64_t num_train_timesteps) {
  // As the reference: `t >= boundary * num_train_timesteps` picks the higher-noise expert.
  for (size_t i = 0; i < experts.size(); ++i) {
    if (timestep >= experts[i].boundary * static_cast<double>(num_train_timesteps)) {
      return static_cast<int64_t>(i);
    }
  }
  return experts.empty() ? 0 : static_cast<int64_t>(experts.size()) - 1;
}

std::vector<int64_t> expert_per_step(const std::vector<ExpertSpec>& experts,
                                     const FlowSchedule& schedule) {
  std::vector<int64_t> assignment;
  assignment.reserve(schedule.timesteps().size());
  for (const double t : schedule.timesteps()) {
    assignment.push_back(expert_for_timestep(experts, t, schedule.config().num_train_timesteps));
  }
  return assignment;
}

std::vector<ExpertPhase> expert_phases(const std::vector<ExpertSpec>& experts,
                                       const FlowSchedule& schedule) {
  const int64_t count = experts.empty() ? 1 : static_cast<int64_t>(experts.size());
  const std::vector<int64_t> assignment = expert_per_step(experts, schedule);
  std::vector<ExpertPhase> phases;
  int64_t step = 0;
  for (int64_t expert = 0; expert < count; ++expert) {
    ExpertPhase phase{expert, step, step};
    while (step < schedule.num_steps() && assignment[static_cast<size_t>(step)] == expert) ++step;
    phase.end_step = step;
    phases.push_back(phase);
  }
  // Timesteps never rise along a schedule, so the phases are contiguous and cover every step.
  MF_CHECK_EQ(step, schedule.num_steps(), Error, "the schedule's timesteps are not decreasing");
  return phases;
}

int64_t expert_switch_step(const std::vector<ExpertSpec>& experts, const FlowSchedule& schedule) {
  return expert_phases(experts, schedule).front().end_step;
}

VelocityFn route_to_experts(const std::vector<ExpertSpec>& experts,
                            std::vector<VelocityFn> per_expert, int64_t num_train_timesteps) {
  const size_t count = experts.empty() ? 1 : experts.size();
  MF_CHECK_EQ(per_expert.size(), count, ModelError,
              "one velocity per expert is needed, got " << per_expert.size());
  return [experts, per_expert = std::move(per_expert), num_train_timesteps](
             const at::Tensor& latent, double timestep) {
    const auto index =
        static_cast<size_t>(expert_for_timestep(experts, timestep, num_train_timesteps));
    const VelocityFn& velocity = per_expert[index];
    MF_CHECK(static_cast<bool>(velocity), ModelError,
             "the step at timestep " << timestep << " belongs to expert '"
                                     << (experts.empty() ? "" : experts[index].name)
                                     << "', which is not loaded here: run only the phases of "
                                        "the loaded experts (model::expert_phases)");
    return velocity(latent, timestep);
  };
}

}  // namespace motionfarm::model
