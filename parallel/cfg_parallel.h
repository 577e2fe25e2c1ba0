// Classifier-free guidance split over the two halves of a model group (cfg = 2): one half
// evaluates the conditional branch, the other the unconditional one, and they swap results, so
// both branches of a step run at the same time.
#pragma once

#include "model/sampler.h"
#include "parallel/communicator.h"

namespace motionfarm::parallel {

// Returns the guided velocity v = v_u + scale·(v_c − v_u) as one VelocityFn.
//
// cfg == nullptr or of size 1: model::guided_velocity (both branches here, in turn).
// cfg of size 2: collective over `cfg` at every call — rank 0 evaluates `cond`, rank 1 `uncond`,
// one all-gather exchanges them, and both ranks combine identically. At scale 1 the guidance is
// the conditional branch; both halves then evaluate `cond` (the exchange is skipped on every rank
// alike, since `scale` is the same everywhere).
model::VelocityFn cfg_parallel_velocity(model::VelocityFn cond, model::VelocityFn uncond,
                                        double scale, Communicator* cfg);

}  // namespace motionfarm::parallel
