#include "parallel/gpu_runtime.h"

namespace motionfarm::parallel {

GpuRuntimeInfo probe_gpu_runtime() {
  GpuRuntimeInfo info;
  info.status =
      "built without CUDA (configure with the CUDA toolkit present, or -DMOTIONFARM_CUDA=ON)";
  return info;
}

std::string select_gpu(int /*device*/) { return "built without CUDA"; }

bool current_gpu_memory(int64_t* free_bytes, int64_t* total_bytes) {
  *free_bytes = 0;
  *total_bytes = 0;
  return false;
}

}  // namespace motionfarm::parallel
