// The denoising loop of one render: the sampler (UniPC or Euler) walks the flow schedule,
// asking the guided velocity at each step; ti2v presets get the encoded image put back as the
// first latent frame before the first step and after every step, as the reference does. Every
// step's latent is checked for NaN/Inf.
//
// A run may stop at any step boundary (SamplingOptions::stop_before_step) and continue later from
// the checkpoint it returns, bitwise as if it had not stopped: this is how a two-expert render is
// split at the expert switch (model::expert_switch_step) so that a farm can run the high-noise
// phase of many clips, park them, and run their low-noise phase with the other expert.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "model/flow_schedule.h"
#include "model/sampler.h"
#include "rank/image_conditioning.h"

namespace motionfarm::rank {

struct SamplingOptions {
  model::SamplerKind sampler = model::SamplerKind::kUniPC;
  model::FlowScheduleConfig schedule;  // steps, shift
  // The loop takes no step with this index or later (e.g. a phase's end_step,
  // model::ExpertPhase); -1 runs to the end of the schedule.
  int64_t stop_before_step = -1;
};

// Everything a run needs to continue from a step boundary: the sampler's memory and the latent
// the next step starts from (after the first-frame re-application). Storing it (the HDF5 latent
// store, rank/latent_checkpoint.h) and resuming from it gives bitwise the uninterrupted result.
struct SamplingCheckpoint {
  model::SamplerState sampler;  // sampler.step_index is the next step to take
  at::Tensor latent;
};

// Called after each step with the step index and the checkpoint of the boundary after it (its
// tensors are shared with the loop, not copies: store them before the next step).
using StepObserver = std::function<void(int64_t step_index, const SamplingCheckpoint& after)>;

// noise: [1, z, T, h, w] float32 on the model's device. Runs the steps from the start, or from
// `resume` (noise then only gives the shape), up to options.stop_before_step, and returns the
// checkpoint of the boundary where it stopped (sampler.step_index == num_steps and the final
// latent after the last step). A run resumed from a returned or observed checkpoint ends with
// bitwise the latent of an uninterrupted run. Throws NonFiniteError naming the step ("sampling
// step 3 of 40") when a latent is not finite, CheckpointError when `resume` does not fit the
// options, ConfigError when stop_before_step is before the resume point or past the end.
SamplingCheckpoint run_sampling(const model::VelocityFn& velocity, const at::Tensor& noise,
                                const SamplingOptions& options,
                                const ImageConditioning& conditioning,
                                const StepObserver& observer = {},
                                const SamplingCheckpoint* resume = nullptr);

// run_sampling's latent: the final one when the run goes to the end.
at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer = {},
                          const SamplingCheckpoint* resume = nullptr);

}  // namespace motionfarm::rank
