#include <cuda_runtime_api.h>

#include "parallel/gpu_runtime.h"

#ifdef MOTIONFARM_HAVE_NCCL
#include <nccl.h>
#endif

namespace motionfarm::parallel {

GpuRuntimeInfo probe_gpu_runtime() {
  GpuRuntimeInfo info;
  info.cuda_compiled = true;
  cudaRuntimeGetVersion(&info.cuda_runtime_version);
  cudaDriverGetVersion(&info.cuda_driver_version);
#ifdef MOTIONFARM_HAVE_NCCL
  info.nccl_compiled = true;
  ncclGetVersion(&info.nccl_version);
#endif
  const cudaError_t error = cudaGetDeviceCount(&info.device_count);
  if (error != cudaSuccess) {
    info.device_count = 0;
    info.status = std::string("no usable GPU: ") + cudaGetErrorString(error);
    cudaGetLastError();  // clear the sticky error so later probes start clean
  } else {
    info.status = std::to_string(info.device_count) + " GPU(s) visible";
  }
  return info;
}

std::string select_gpu(int device) {
  const cudaError_t error = cudaSetDevice(device);
  if (error == cudaSuccess) return "";
  cudaGetLastError();  // as above: a failed selection must not poison later calls
  return "cudaSetDevice(" + std::to_string(device) + "): " + cudaGetErrorString(error);
}

bool current_gpu_memory(int64_t* free_bytes, int64_t* total_bytes) {
  size_t free_memory = 0, total_memory = 0;
  *free_bytes = 0;
  *total_bytes = 0;
  if (cudaMemGetInfo(&free_memory, &total_memory) != cudaSuccess) {
    cudaGetLastError();  // as above
    return false;
  }
  *free_bytes = static_cast<int64_t>(free_memory);
  *total_bytes = static_cast<int64_t>(total_memory);
  return true;
}

}  // namespace motionfarm::parallel
