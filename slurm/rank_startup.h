// The start of `motionfarm run` on every rank: read the Slurm environment, bind the rank to its
// GPU, and tell the wrangler where every rank landed — one line per node, printed by rank 0:
//
//   launch: slurm job 42 (restart 1) on gpu[01-02], 2 nodes, 16 tasks; 16 MPI ranks
//   launch: node gpu01: 8 ranks (0-7), GPUs 0,1,2,3,4,5,6,7
//   launch: node gpu02: 8 ranks (8-15), GPUs 0,1,2,3,4,5,6,7
//
// Without Slurm (mpirun, or one process) the same lines say "not in a Slurm job".
#pragma once

#include <string>
#include <vector>

#include "parallel/mpi_comm.h"
#include "slurm/gpu_binding.h"
#include "slurm/slurm_environment.h"

namespace motionfarm::slurm {

// Where one rank runs.
struct RankPlacement {
  int world_rank = 0;
  std::string host;
  int local_rank = 0;
  GpuBinding gpu;
};

struct RankStartup {
  SlurmEnvironment slurm;
  RankPlacement placement;  // this rank's
  // "slurm job 42 (restart 1) on gpu[01-02], 2 nodes, 16 tasks; 16 MPI ranks": for the ledger.
  std::string launch;
};

// Pure: one line per host, in the order of each host's first rank ("node gpu01: 8 ranks (0-7),
// GPUs 0,1,...", or "GPUs none (built without CUDA)").
std::vector<std::string> describe_nodes(const std::vector<RankPlacement>& placements);

// "0-3,8,10-11" for sorted ranks.
std::string rank_ranges(const std::vector<int>& ranks);

// Collective: every rank of `world` calls it once, first thing after MPI starts. Binds this rank
// to its GPU (slurm/gpu_binding.h) and logs the start-up lines on rank 0. A broken Slurm
// environment is logged as a warning rather than thrown, so every rank still reaches the gather.
RankStartup start_rank(const parallel::MpiComm& world);

}  // namespace motionfarm::slurm
