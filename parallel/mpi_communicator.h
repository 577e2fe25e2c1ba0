// The MPI backend of Communicator: CPU tensors, used on CPU clusters and in every test here.
//
// Owns a duplicate of the communicator it is built from, so its messages never match another
// user's. Half-precision reductions are computed in fp32 (MPI has no bf16/fp16 sum).
#pragma once

#include "parallel/communicator.h"
#include "parallel/mpi_comm.h"

namespace motionfarm::parallel {

class MpiCommunicator final : public Communicator {
 public:
  // Collective over `comm`: duplicates it.
  explicit MpiCommunicator(const MpiComm& comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend_name() const override { return "mpi"; }

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
  std::unique_ptr<PendingTransfer> start_exchange(const at::Tensor& outgoing, int destination,
                                                  at::Tensor& incoming, int source,
                                                  int tag) override;

  const MpiComm& comm() const { return comm_; }

 private:
  MpiComm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace motionfarm::parallel
