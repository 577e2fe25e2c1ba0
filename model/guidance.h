// Classifier-free guidance: v = v_uncond + scale * (v_cond - v_uncond), as the Wan reference
// combines its two model passes.
//
// At scale 1 guidance is the conditional branch, returned untouched (bitwise), and
// guided_velocity() then skips the unconditional model pass altogether.
#pragma once

#include <ATen/ATen.h>

#include "model/sampler.h"

namespace motionfarm::model {

// Throws ConfigError unless `scale` is finite and >= 0.
void validate_guidance_scale(double scale);

// uncond + scale * (cond - uncond); `cond` itself when scale == 1. Shapes must match.
at::Tensor apply_guidance(const at::Tensor& uncond, const at::Tensor& cond, double scale);

// The guided model as one velocity function (it owns both functions); `uncond` is never called
// when scale == 1, which saves the second model pass.
VelocityFn guided_velocity(VelocityFn cond, VelocityFn uncond, double scale);

}  // namespace motionfarm::model
