// What the GPU stack of this build and this machine can do, for `motionfarm version` and start-up.
//
// Built from gpu_runtime_cuda.cpp when the CUDA toolkit was found at configure time, from
// gpu_runtime_none.cpp otherwise; callers never need to know which.
#pragma once

#include <cstdint>
#include <string>

namespace motionfarm::parallel {

struct GpuRuntimeInfo {
  bool cuda_compiled = false;    // this build has CUDA code paths
  bool nccl_compiled = false;    // this build has the NCCL communicator
  int cuda_runtime_version = 0;  // e.g. 13000 for CUDA 13.0; 0 when not compiled
  int cuda_driver_version = 0;   // 0 when no driver is installed
  int nccl_version = 0;          // e.g. 22703 for NCCL 2.27.3; 0 when not compiled
  int device_count = 0;          // GPUs this process can see
  std::string status;            // one line for humans: why there are no devices, if none
};

// Asks the CUDA runtime (if compiled) how many devices this process sees. Never throws.
GpuRuntimeInfo probe_gpu_runtime();

// Makes `device` (an index among the devices this process sees, so after CUDA_VISIBLE_DEVICES)
// the calling thread's current CUDA device. Returns "" when it is, otherwise why not (a build
// without CUDA, or the runtime's error). Never throws.
std::string select_gpu(int device);

// The free and total memory of the calling thread's current CUDA device, in bytes; false (and
// both 0) without CUDA or when the runtime cannot say. Never throws.
bool current_gpu_memory(int64_t* free_bytes, int64_t* total_bytes);

}  // namespace motionfarm::parallel
