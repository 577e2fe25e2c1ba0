// The NCCL backend of Communicator: CUDA tensors, used inside a model group on GPUs.
//
// Bootstrapped from MPI: rank 0 of `bootstrap` creates the NCCL unique id and broadcasts it, every
// rank joins with its own GPU. Operations are enqueued on the current LibTorch CUDA stream when
// LibTorch has CUDA (so they order with the model's kernels), else on a stream the communicator
// owns. Depends only on the CUDA runtime and NCCL, so it builds (and CI links it) with a CPU-only
// LibTorch; there, and on a machine without a GPU, construction fails with a CommError that says
// so.
//
// Only compiled when NCCL was found (MOTIONFARM_HAVE_NCCL).
#pragma once

#include <nccl.h>

#include <memory>

#include "parallel/communicator.h"
#include "parallel/cuda_stream.h"
#include "parallel/mpi_comm.h"

namespace motionfarm::parallel {

// An owned ncclComm_t.
class NcclComm {
 public:
  NcclComm() = default;
  explicit NcclComm(ncclComm_t comm) : comm_(comm) {}
  ~NcclComm();
  NcclComm(NcclComm&& other) noexcept : comm_(other.comm_) { other.comm_ = nullptr; }
  NcclComm& operator=(NcclComm&& other) noexcept;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;
  ncclComm_t get() const { return comm_; }

 private:
  ncclComm_t comm_ = nullptr;
};

// Throws CommError naming `what` and NCCL's error text when `result` is not ncclSuccess.
void check_nccl(ncclResult_t result, const char* what);

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `bootstrap`: every rank passes the CUDA device it owns.
  NcclCommunicator(const MpiComm& bootstrap, int device);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend_name() const override { return "nccl"; }

  void all_reduce(at::Tensor& tensor, ReduceOp op = ReduceOp::Sum) override;
  at::Tensor all_gather(const at::Tensor& input) override;
  at::Tensor reduce_scatter(const at::Tensor& input) override;
  at::Tensor all_to_all(const at::Tensor& input) override;
  at::Tensor all_to_all(const at::Tensor& input, const std::vector<int64_t>& send_counts,
                        const std::vector<int64_t>& recv_counts) override;
  void broadcast(at::Tensor& tensor, int root) override;
  void barrier() override;
  void send(const at::Tensor& tensor, int destination, int tag) override;
  void recv(at::Tensor& tensor, int source, int tag) override;
  // Enqueued on the communicator's stream: later kernels on that stream see the data; wait()
  // has nothing left to do on the host.
  std::unique_ptr<PendingTransfer> start_exchange(const at::Tensor& outgoing, int destination,
                                                  at::Tensor& incoming, int source,
                                                  int tag) override;

 private:
  cudaStream_t stream() const;

  int device_ = 0;
  int rank_ = 0;
  int size_ = 1;
  std::unique_ptr<CudaStream> owned_stream_;  // used when LibTorch has no CUDA
  NcclComm comm_;
};

}  // namespace motionfarm::parallel
