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
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// A batch: several renders of one latent shape and one schedule sampled in lockstep, each
// velocity call one forward over all of them ([B, z, T, h, w]). Each member keeps its own sampler,
// noise and first frame; they share the velocity (the batched prompts and conditioning). A
// member's result equals its render alone up to float rounding (a B > 1 matmul may round
// differently), and bitwise that of any run of the same batch.
struct BatchMember {
  at::Tensor noise;                                 // [1, z, T, h, w], as run_sampling's
  const ImageConditioning* conditioning = nullptr;  // ti2v: its first frame; borrowed
  const SamplingCheckpoint* resume = nullptr;       // every member resumes at the same step
  std::string label;                                // "'<asset>' segment 1": named in errors
};

// One member's latent went NaN/Inf: `error` is its NonFiniteError; the others were sound.
class BatchMemberError : public std::exception {
 public:
  BatchMemberError(size_t member, std::exception_ptr error)
      : member_(member), error_(std::move(error)) {}
  const char* what() const noexcept override { return "a batch member failed"; }
  size_t member() const { return member_; }
  const std::exception_ptr& error() const { return error_; }

 private:
  size_t member_;
  std::exception_ptr error_;
};

// After each step: one checkpoint per member, in member order.
using BatchStepObserver =
    std::function<void(int64_t step_index, const std::vector<SamplingCheckpoint>& after)>;

// run_sampling for a batch: `velocity` receives the members' latents stacked along dim 0. Throws
// BatchMemberError for a member whose latent is not finite, CheckpointError when the members'
// resume points differ, and what run_sampling throws for the options.
std::vector<SamplingCheckpoint> run_batch_sampling(const model::VelocityFn& velocity,
                                                   const std::vector<BatchMember>& members,
                                                   const SamplingOptions& options,
                                                   const BatchStepObserver& observer = {});

// run_sampling's latent: the final one when the run goes to the end.
at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer = {},
                          const SamplingCheckpoint* resume = nullptr);

}  // namespace motionfarm::rank
