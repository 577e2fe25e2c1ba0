// What Slurm tells a process about its job, read from the environment.
//
// srun sets SLURM_PROCID / SLURM_LOCALID per task; sbatch sets the job-wide variables for the batch
// shell and every step. Under `mpirun` inside an allocation the per-task variables are the batch
// step's (0 on every rank), so motionfarm takes ranks from MPI and uses these for the start-up
// lines, the ledger's run record and cross-checks only (docs in slurm/README.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace motionfarm::slurm {

using Environment = std::map<std::string, std::string>;

struct SlurmEnvironment {
  std::string job_id;           // SLURM_JOB_ID; empty outside a Slurm job
  std::optional<int> proc_id;   // SLURM_PROCID: the task's rank in its step
  std::optional<int> local_id;  // SLURM_LOCALID: the task's rank on its node
  std::optional<int> ntasks;    // SLURM_NTASKS
  std::optional<int> nnodes;    // SLURM_NNODES
  int restart_count = 0;        // SLURM_RESTART_COUNT: 0 in the first run, +1 per requeue
  std::string node_list;        // SLURM_JOB_NODELIST, compressed ("gpu[01-04]")
  // CUDA_VISIBLE_DEVICES split at commas; nullopt when unset (every GPU is visible), empty when
  // set to "" or Slurm's "NoDevFiles" (none is).
  std::optional<std::vector<std::string>> cuda_visible_devices;

  bool in_job() const { return !job_id.empty(); }
  // "slurm job 42 (restart 1) on gpu[01-02], 2 nodes, 16 tasks", or "not in a Slurm job".
  std::string describe() const;
};

// Pure: reads the variables above from `env`. Throws ConfigError naming the variable when a
// number is not one (a broken environment, not something to guess around).
SlurmEnvironment read_slurm_environment(const Environment& env);

// This process's environment, for read_slurm_environment.
Environment process_environment();

// "0,1, 2" -> {"0", "1", "2"}; "" and "NoDevFiles" -> {}.
std::vector<std::string> parse_cuda_visible_devices(const std::string& value);

}  // namespace motionfarm::slurm
