// How often a rank writes the in-progress sampling state of a segment.
//
// A state checkpoint costs a roughly fixed time (the store rewrites its file, see latent_store.h),
// and a resume loses at most the steps since the last one. Writing every K steps with K chosen
// from measured times keeps the checkpoint overhead under a budget (1% by default) on any disk and
// model size, at the price of losing up to K - 1 steps on a crash.
#pragma once

#include <cstdint>

namespace motionfarm::io {

// The smallest K >= 1 with checkpoint_seconds <= max_overhead * K * step_seconds, i.e. writing
// one state every K steps costs at most `max_overhead` of the sampling time. Throws Error for
// non-positive or non-finite inputs. The result may exceed the segment's step count, meaning a
// state is never worth writing for it.
int64_t checkpoint_interval_steps(double step_seconds, double checkpoint_seconds,
                                  double max_overhead = 0.01);

}  // namespace motionfarm::io
