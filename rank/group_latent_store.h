// An asset's latent store (rank/latent_checkpoint.h) as a model group opens it for a task: the
// leader first, which creates the store or sets aside one that cannot be used, and drops a
// finished segment or sampling state of the task's segment that does not verify; then every
// member reads the same file. The group agrees on the leader's outcome, so a leader that failed
// (a full disk, say) never leaves its members waiting in a collective it will not join.
#pragma once

#include <string>

#include "io/latent_store.h"
#include "parallel/topology.h"
#include "rank/farm_task.h"

namespace motionfarm::rank {

// Collective over `topology`'s group. `model_id`: the preset's name (the store's identity).
// Throws the leader's error on the leader (DiskFullError, CheckpointError...) and
// CheckpointError on the members when the leader could not open the store.
io::LatentStore open_group_latent_store(const FarmTask& task, const std::string& model_id,
                                        const parallel::Topology& topology);

}  // namespace motionfarm::rank
