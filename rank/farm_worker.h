// A model group's side of the farm: the leader asks the coordinator for tasks, broadcasts each to
// its members, runs it with them and reports the result; members follow their leader. Per-asset
// failures (bad image, NaN, out of memory, encoder error) are caught here, at the task boundary,
// and reported; the ranks live on. Between sampling steps the leader asks the coordinator whether
// to go on (the group's heartbeat) and the whole group stops at the same step boundary when the
// job is stopping (a signal here or anywhere else).
#pragma once

#include "parallel/mpi_comm.h"
#include "parallel/topology.h"
#include "rank/denoiser.h"
#include "rank/model_bundle.h"

namespace motionfarm::rank {

struct FarmWorkerOptions {
  const parallel::Topology* topology = nullptr;  // borrowed
  // The farm communicator (leaders only; the coordinator is its rank 0). Invalid on members.
  const parallel::MpiComm* farm = nullptr;
  ModelBundle* bundle = nullptr;  // borrowed
  // The group's (GroupDenoiser) for a preset without experts; null for a preset with experts,
  // whose bundle is loaded with ExpertResidency::kOnDemand: the worker then loads the expert each
  // segment task needs (one at a time) and builds the group's denoiser over it.
  const DenoiserBackend* denoiser = nullptr;
  // Write a segment's sampling state every this many steps; 0: chosen from measured times so the
  // writes cost at most 1% of sampling (rank/latent_checkpoint.h). A stop always writes one.
  int64_t checkpoint_every = 0;
};

// Collective over the group: every rank of the group calls it; returns when the coordinator
// stops the group. Throws CommError (unrecoverable) when messaging fails.
void run_farm_worker(const FarmWorkerOptions& options);

}  // namespace motionfarm::rank
