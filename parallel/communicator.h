// The collectives motionfarm's parallel code needs, over at::Tensor, behind one interface.
//
// One backend per transport (as in PyTorch c10d): MpiCommunicator for CPU tensors (every test
// here), NcclCommunicator for CUDA tensors. Every method is a collective over the communicator's
// ranks unless it says otherwise: every rank calls it, in the same order, with tensors of the same
// dtype and (where stated) shape. Tensors must be contiguous.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace motionfarm::parallel {

enum class ReduceOp { Sum, Max, Min };

// Traffic counters: what this rank sent, for the bytes-moved benchmarks.
struct CommStats {
  int64_t bytes_sent = 0;
  int64_t collectives = 0;
};

// A non-blocking transfer in flight. wait() returns once both the send buffer may be reused and
// the receive buffer is filled; the destructor waits too, so a transfer is never abandoned.
class PendingTransfer {
 public:
  virtual ~PendingTransfer() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend_name() const = 0;

  // In place: every rank ends with the element-wise reduction of all ranks' `tensor`.
  virtual void all_reduce(at::Tensor& tensor, ReduceOp op = ReduceOp::Sum) = 0;
  // Concatenates every rank's `input` (same shape everywhere) along dim 0, in rank order.
  virtual at::Tensor all_gather(const at::Tensor& input) = 0;
  // Sums `input` across ranks and returns this rank's dim-0 slice (dim 0 divisible by size()).
  virtual at::Tensor reduce_scatter(const at::Tensor& input) = 0;
  // Splits `input` along dim 0 into size() equal parts, sends part j to rank j and returns the
  // parts received, concatenated along dim 0 in rank order.
  virtual at::Tensor all_to_all(const at::Tensor& input) = 0;
  // Uneven all-to-all along dim 0: `send_counts[j]` rows go to rank j; `recv_counts[j]` rows come
  // from rank j (every rank must agree on the counts pairwise).
  virtual at::Tensor all_to_all(const at::Tensor& input, const std::vector<int64_t>& send_counts,
                                const std::vector<int64_t>& recv_counts) = 0;
  // In place: every rank ends with `root`'s tensor.
  virtual void broadcast(at::Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;

  // Point to point (not collective): only the two ranks named take part.
  virtual void send(const at::Tensor& tensor, int destination, int tag) = 0;
  virtual void recv(at::Tensor& tensor, int source, int tag) = 0;
  // Starts sending `outgoing` to `destination` while receiving `incoming` from `source`, and
  // returns at once so computation can overlap the transfer (ring attention). Both buffers must
  // stay alive and untouched until wait(). Only the ranks named take part.
  virtual std::unique_ptr<PendingTransfer> start_exchange(const at::Tensor& outgoing,
                                                          int destination, at::Tensor& incoming,
                                                          int source, int tag) = 0;

  const CommStats& stats() const { return stats_; }
  void reset_stats() { stats_ = CommStats{}; }

 protected:
  CommStats stats_;
};

}  // namespace motionfarm::parallel
