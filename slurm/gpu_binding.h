// Which GPU a rank renders on: its rank on the node picks one of the GPUs the process sees.
//
// Two ways Slurm hands out GPUs (slurm/README.md): `--gpus-per-task=1` gives each task its own
// CUDA_VISIBLE_DEVICES with one entry, so every rank takes device 0; `--gpus-per-node=G` shows all
// G to every task, so local rank r takes device r. More ranks than GPUs share them round-robin
// (said in the start-up line). The local rank comes from MPI, not SLURM_LOCALID, so the same
// rule holds under srun, under mpirun inside an allocation, and without Slurm.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace motionfarm::slurm {

struct GpuBindingInput {
  int local_rank = 0;         // this rank's index among the ranks on its node
  int local_ranks = 1;        // ranks on this node
  int visible_devices = 0;    // CUDA devices this process sees (0 on CPU builds)
  std::string no_gpu_reason;  // why visible_devices is 0, for the start-up line
  // As SlurmEnvironment::cuda_visible_devices: names the chosen device as the node knows it.
  std::optional<std::vector<std::string>> cuda_visible_devices;
};

struct GpuBinding {
  int device = -1;       // CUDA device index this rank uses; -1: it renders on the CPU
  std::string physical;  // the device as the node names it (a CUDA_VISIBLE_DEVICES entry)
  std::string note;      // why there is none, or that GPUs are shared; empty otherwise
};

// Pure: the rule above.
GpuBinding choose_gpu(const GpuBindingInput& input);

// choose_gpu on this process's CUDA runtime, then makes the choice the current device. A device
// the runtime refuses leaves the rank on the CPU with the runtime's error as the note. Never
// throws.
GpuBinding bind_rank_to_gpu(int local_rank, int local_ranks,
                            const std::optional<std::vector<std::string>>& cuda_visible_devices);

}  // namespace motionfarm::slurm
