// Mixture-of-experts sampling (Wan2.2 A14B): several DiTs share one flow schedule, each taking the
// steps of its own noise range, as the public Wan2.2 pipelines do (wan/image2video.py,
// wan/text2video.py: `high_noise_model` while t >= boundary × num_train_timesteps, then
// `low_noise_model`).
//
// An expert is data (configs/models/<preset>.yaml, `experts:`; model/preset_sampling.h reads it):
// its name, the release subfolder of its DiT, its boundary and its guidance scale. Experts are
// listed from high noise to low noise; expert i takes every step whose timestep t satisfies
// boundary_i × T <= t (and is below boundary_{i-1} × T), T = num_train_timesteps. The last expert's
// boundary is 0, so every step has one. Timesteps fall along a schedule, so each expert's steps are
// one contiguous phase: a farm can run the first phase for a batch of clips, park their latents and
// sampler state (rank/sampling_loop.h's SamplingCheckpoint), and run the next phase with the next
// expert resident.
//
// A preset without experts behaves as one implicit expert that takes every step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/flow_schedule.h"
#include "model/sampler.h"

namespace motionfarm::model {

struct ExpertSpec {
  std::string name;       // "high_noise": for logs, messages and the farm's bookkeeping
  std::string folder;     // "high_noise_model": the subfolder of a release holding its DiT
  double boundary = 0.0;  // takes the steps with t >= boundary × num_train_timesteps
  // Its guidance scale (the public configs' sample_guide_scale per expert); unset: the render's.
  std::optional<double> guidance;
};

// Throws ConfigError naming the expert when the list cannot work: empty or duplicate names or
// folders, boundaries not strictly decreasing in [0, 1), the last one not 0, a bad guidance scale.
// An empty list is valid (a preset with one DiT).
void validate_experts(const std::vector<ExpertSpec>& experts);

// The index of the expert that takes `timestep` (0 for an empty list).
int64_t expert_for_timestep(const std::vector<ExpertSpec>& experts, double timestep,
                            int64_t num_train_timesteps);

// The expert of every step of `schedule`, in step order.
std::vector<int64_t> expert_per_step(const std::vector<ExpertSpec>& experts,
                                     const FlowSchedule& schedule);

// The steps [begin_step, end_step) one expert takes.
struct ExpertPhase {
  int64_t expert = 0;
  int64_t begin_step = 0;
  int64_t end_step = 0;

  int64_t steps() const { return end_step - begin_step; }
};

// One phase per expert (one for an empty list), in expert order; consecutive phases share their
// boundary (phase i ends where phase i + 1 begins), and an expert the schedule never reaches gets
// an empty phase at that boundary. The phases cover [0, num_steps).
std::vector<ExpertPhase> expert_phases(const std::vector<ExpertSpec>& experts,
                                       const FlowSchedule& schedule);

// The first step the second expert takes: where a two-expert render switches DiTs, and where a
// phase-batched farm parks its latents. num_steps when there is no switch (one expert, or the
// schedule never drops below the first boundary).
int64_t expert_switch_step(const std::vector<ExpertSpec>& experts, const FlowSchedule& schedule);

// One velocity over all experts: each call goes to per_expert[expert_for_timestep(t)]. An empty
// function stands for an expert that is not available to this caller (not loaded on this group);
// reaching one of its steps throws ModelError naming the expert and the timestep, so a caller that
// runs only one phase cannot silently use the wrong DiT. per_expert has one entry per expert (one
// for an empty list).
VelocityFn route_to_experts(const std::vector<ExpertSpec>& experts,
                            std::vector<VelocityFn> per_expert, int64_t num_train_timesteps);

}  // namespace motionfarm::model
