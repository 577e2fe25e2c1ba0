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

// Called after each step (and its first-frame re-application) with the step index and the
// latent the next step starts from.
using StepObserver = std::function<void(int64_t step_index, const at::Tensor& latent)>;

// noise: [1, z, T, h, w] float32 on the model's device -> the final latent. Throws
// NonFiniteError naming the step ("sampling step 3 of 40") when a latent is not finite.
at::Tensor sample_latents(const model::VelocityFn& velocity, const at::Tensor& noise,
                          const SamplingOptions& options, const ImageConditioning& conditioning,
                          const StepObserver& observer = {});

}  // namespace motionfarm::rank
