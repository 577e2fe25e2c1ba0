// `motionfarm run`: one job on the whole MPI world (a single process is a world of one).
//
// Rank 0 reads the manifest, opens the ledger in the state folder, works out what is left
// (resume.h) and tells every rank the model and layout; every rank loads the model and joins its
// model group (parallel/topology.h); rank 0 then runs the coordinator in its own thread while its
// main thread renders as group 0's leader. docs/farm.md is the wrangler's guide.
#pragma once

#include <cstdint>
#include <string>

namespace motionfarm::coordinator {

struct FarmRunOptions {
  std::string manifest;
  std::string state_dir;    // empty: `<parent of output root>/<job>.motionfarm-state`
  std::string output_root;  // empty: the manifest's
  std::string layout;       // empty: the manifest's; "auto": one rank per group
  bool force = false;       // redo finished work whose manifest settings changed
  double progress_interval_s = 30.0;
  int64_t checkpoint_every = 0;  // rank::FarmWorkerOptions::checkpoint_every
  int gpu_device = -1;  // the CUDA device this rank was bound to (slurm/gpu_binding.h); -1: CPU
  std::string launch;   // how the job was started ("slurm job 42 (restart 1) ..."), for the ledger
};

// Collective over MPI_COMM_WORLD (MPI initialised with MPI_THREAD_MULTIPLE): every rank calls it
// and gets the same exit code: kExitSuccess, kExitAssetsFailed (the summary names each failed
// asset and why), kExitPreempted (stopped by a signal; rerun to resume). A manifest or ledger
// that cannot run throws ConfigError on rank 0 (other ranks return kExitBadInput quietly). An
// unrecoverable failure after start-up ends the whole job through MpiRuntime::abort_job.
int run_farm(const FarmRunOptions& options);

// The state folder a job uses when --state-dir is not given.
std::string default_state_dir(const std::string& output_root, const std::string& job_name);

}  // namespace motionfarm::coordinator
