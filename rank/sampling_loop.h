// The denoising loop of one render: the sampler (UniPC or Euler) walks the flow schedule,
// asking the guided velocity at each step; ti2v presets get the encoded image put back as the
// first latent frame before the first step and after every step, as the reference does. Every
// step's latent is checked for NaN/Inf.
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

// noise: [1, z, T, h, w] float32 on the model's device -> the final latent. With `resume`, the
// loop continues from that checkpoint instead (noise then only gives the shape) and its result
// equals the uninterrupted run's bitwise. Throws NonFiniteError naming the step ("sampling step 3
// of 40") when a latent is not finite, CheckpointError when `resume` does not fit the options.
at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer = {},
                          const SamplingCheckpoint* resume = nullptr);

}  // namespace motionfarm::rank
