// Which `srun --mpi` plugin a batch script uses, decided when the job is submitted.
//
// pmix is the one Open MPI (and most current MPIs) start under; pmi2 is the fallback for
// clusters whose Slurm was built without PMIx. The login node's `srun --mpi=list` is asked once
// at submit time, so the script holds a plain `srun --mpi=<plugin>` the wrangler can read.
#pragma once

#include <string>

namespace motionfarm::slurm {

// Pure: "pmix" when `srun_mpi_list` (the output of `srun --mpi=list`) offers pmix or a
// versioned pmix_vN, else "pmi2" when it offers that; throws ConfigError otherwise.
std::string choose_mpi_plugin(const std::string& srun_mpi_list);

}  // namespace motionfarm::slurm
