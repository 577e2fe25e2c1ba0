#include "slurm/gpu_binding.h"

#include "parallel/gpu_runtime.h"

namespace motionfarm::slurm {

GpuBinding choose_gpu(const GpuBindingInput& input) {
  GpuBinding binding;
  if (input.visible_devices <= 0) {
    binding.note = input.no_gpu_reason.empty() ? "no GPU visible" : input.no_gpu_reason;
    return binding;
  }
  // One visible device: --gpus-per-task=1 (each task sees only its own) or a one-GPU node.
  binding.device = input.local_rank % input.visible_devices;
  if (input.local_ranks > input.visible_devices && input.visible_devices > 1) {
    binding.note = "shared: " + std::to_string(input.local_ranks) + " ranks on " +
                   std::to_string(input.visible_devices) + " GPUs";
  }
  const auto& names = input.cuda_visible_devices;
  binding.physical = names && binding.device < static_cast<int>(names->size())
                         ? (*names)[binding.device]
                         : std::to_string(binding.device);
  return binding;
}

GpuBinding bind_rank_to_gpu(int local_rank, int local_ranks,
                            const std::optional<std::vector<std::string>>& cuda_visible_devices) {
  const parallel::GpuRuntimeInfo runtime = parallel::probe_gpu_runtime();
  GpuBindingInput input;
  input.local_rank = local_rank;
  input.local_ranks = local_ranks;
  input.visible_devices = runtime.device_count;
  input.no_gpu_reason = runtime.status;
  input.cuda_visible_devices = cuda_visible_devices;
  GpuBinding binding = choose_gpu(input);
  if (binding.device >= 0) {
    const std::string error = parallel::select_gpu(binding.device);
    if (!error.empty()) {
      binding.device = -1;
      binding.physical.clear();
      binding.note = error;
    }
  }
  return binding;
}

}  // namespace motionfarm::slurm
