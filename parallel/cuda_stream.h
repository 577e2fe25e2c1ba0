// An owned CUDA stream (created non-blocking, destroyed with its owner).
//
// Only compiled when the CUDA toolkit is present (MOTIONFARM_HAVE_CUDA).
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace motionfarm::parallel {

// Throws CommError naming `what` and CUDA's error text when `status` is not cudaSuccess.
void check_cuda(cudaError_t status, const char* what);

class CudaStream {
 public:
  // Creates a stream on the current device.
  CudaStream();
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace motionfarm::parallel
