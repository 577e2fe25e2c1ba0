#include "parallel/mpi_communicator.h"

#include <climits>
#include <numeric>

#include "core/check.h"

namespace motionfarm::parallel {

namespace {

// The MPI type that moves `dtype`'s elements unchanged. Half types travel as 16-bit words; they
// are only reduced after conversion to fp32 (see all_reduce).
MPI_Datatype transport_type(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return MPI_FLOAT;
    case at::kDouble:
      return MPI_DOUBLE;
    case at::kLong:
      return MPI_INT64_T;
    case at::kInt:
      return MPI_INT32_T;
    case at::kShort:
      return MPI_INT16_T;
    case at::kChar:
      return MPI_INT8_T;
    case at::kByte:
      return MPI_UINT8_T;
    case at::kBool:
      return MPI_UINT8_T;
    case at::kHalf:
      return MPI_UINT16_T;
    case at::kBFloat16:
      return MPI_UINT16_T;
    default:
      break;
  }
  throw CommError(std::string("the MPI communicator cannot move tensors of dtype ") +
                  c10::toString(dtype));
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return MPI_SUM;
    case ReduceOp::Max:
      return MPI_MAX;
    case ReduceOp::Min:
      return MPI_MIN;
  }
  return MPI_SUM;
}

int checked_count(int64_t count, const char* what) {
  MF_CHECK_LE(count, static_cast<int64_t>(INT_MAX), CommError,
              what << ": a single MPI message is limited to INT_MAX elements; split the tensor");
  return static_cast<int>(count);
}

void require_cpu_contiguous(const at::Tensor& tensor, const char* what) {
  MF_CHECK(tensor.device().is_cpu(), CommError,
           what << " needs a CPU tensor with the MPI backend (got " << tensor.device()
                << "): use the NCCL backend for GPU tensors");
  MF_CHECK(tensor.is_contiguous(), CommError, what << " needs a contiguous tensor");
}

bool is_half(at::ScalarType dtype) { return dtype == at::kHalf || dtype == at::kBFloat16; }

}  // namespace

MpiCommunicator::MpiCommunicator(const MpiComm& comm) : comm_(MpiComm::duplicate(comm.get())) {
  rank_ = comm_.rank();
  size_ = comm_.size();
}

void MpiCommunicator::all_reduce(at::Tensor& tensor, ReduceOp op) {
  require_cpu_contiguous(tensor, "all_reduce");
  if (is_half(tensor.scalar_type())) {
    at::Tensor wide = tensor.to(at::kFloat);
    all_reduce(wide, op);
    tensor.copy_(wide);
    return;
  }
  const int count = checked_count(tensor.numel(), "all_reduce");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), count,
                          transport_type(tensor.scalar_type()), mpi_op(op), comm_.get()),
            "MPI_Allreduce");
  // A ring all-reduce sends 2(P-1)/P of the buffer from each rank.
  stats_.bytes_sent += tensor.nbytes() * 2 * (size_ - 1) / size_;
  ++stats_.collectives;
}

at::Tensor MpiCommunicator::all_gather(const at::Tensor& input) {
  require_cpu_contiguous(input, "all_gather");
  std::vector<int64_t> shape = input.sizes().vec();
  MF_CHECK(!shape.empty(), CommError, "all_gather needs a tensor with at least one dimension");
  shape[0] *= size_;
  at::Tensor output = at::empty(shape, input.options());
  const int count = checked_count(input.numel(), "all_gather");
  const MPI_Datatype type = transport_type(input.scalar_type());
  check_mpi(
      MPI_Allgather(input.data_ptr(), count, type, output.data_ptr(), count, type, comm_.get()),
      "MPI_Allgather");
  stats_.bytes_sent += input.nbytes() * (size_ - 1);
  ++stats_.collectives;
  return output;
}

at::Tensor MpiCommunicator::reduce_scatter(const at::Tensor& input) {
  require_cpu_contiguous(input, "reduce_scatter");
  MF_CHECK(input.dim() >= 1 && input.size(0) % size_ == 0, CommError,
           "reduce_scatter needs dim 0 divisible by the " << size_ << " ranks (got "
                                                          << input.sizes() << ")");
  if (is_half(input.scalar_type())) {
    return reduce_scatter(input.to(at::kFloat)).to(input.scalar_type());
  }
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] /= size_;
  at::Tensor output = at::empty(shape, input.options());
  const int count = checked_count(output.numel(), "reduce_scatter");
  check_mpi(MPI_Reduce_scatter_block(input.data_ptr(), output.data_ptr(), count,
                                     transport_type(input.scalar_type()), MPI_SUM, comm_.get()),
            "MPI_Reduce_scatter_block");
  stats_.bytes_sent += output.nbytes() * (size_ - 1);
  ++stats_.collectives;
  return output;
}

at::Tensor MpiCommunicator::all_to_all(const at::Tensor& input) {
  require_cpu_contiguous(input, "all_to_all");
  MF_CHECK(input.dim() >= 1 && input.size(0) % size_ == 0, CommError,
           "all_to_all needs dim 0 divisible by the " << size_ << " ranks (got " << input.sizes()
                                                      << "): pad it or use uneven splits");
  at::Tensor output = at::empty_like(input);
  const int count = checked_count(input.numel() / size_, "all_to_all");
  const MPI_Datatype type = transport_type(input.scalar_type());
  check_mpi(
      MPI_Alltoall(input.data_ptr(), count, type, output.data_ptr(), count, type, comm_.get()),
      "MPI_Alltoall");
  stats_.bytes_sent += input.nbytes() / size_ * (size_ - 1);
  ++stats_.collectives;
  return output;
}

at::Tensor MpiCommunicator::all_to_all(const at::Tensor& input,
                                       const std::vector<int64_t>& send_counts,
                                       const std::vector<int64_t>& recv_counts) {
  require_cpu_contiguous(input, "all_to_all");
  MF_CHECK_EQ(static_cast<int>(send_counts.size()), size_, CommError,
              "all_to_all needs one send count per rank");
  MF_CHECK_EQ(static_cast<int>(recv_counts.size()), size_, CommError,
              "all_to_all needs one receive count per rank");
  const int64_t rows_sent = std::accumulate(send_counts.begin(), send_counts.end(), int64_t{0});
  MF_CHECK_EQ(rows_sent, input.size(0), CommError, "all_to_all send counts must cover dim 0");
  MF_CHECK_GE(input.dim(), 1, CommError, "all_to_all needs a tensor with at least one dimension");
  int64_t row_elements = 1;
  for (int64_t d = 1; d < input.dim(); ++d) row_elements *= input.size(d);
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] = std::accumulate(recv_counts.begin(), recv_counts.end(), int64_t{0});
  at::Tensor output = at::empty(shape, input.options());

  std::vector<int> scounts(size_), sdispls(size_), rcounts(size_), rdispls(size_);
  int64_t send_offset = 0;
  int64_t recv_offset = 0;
  for (int r = 0; r < size_; ++r) {
    scounts[r] = checked_count(send_counts[r] * row_elements, "all_to_all");
    rcounts[r] = checked_count(recv_counts[r] * row_elements, "all_to_all");
    sdispls[r] = checked_count(send_offset, "all_to_all");
    rdispls[r] = checked_count(recv_offset, "all_to_all");
    send_offset += scounts[r];
    recv_offset += rcounts[r];
    if (r != rank_) stats_.bytes_sent += scounts[r] * static_cast<int64_t>(input.element_size());
  }
  const MPI_Datatype type = transport_type(input.scalar_type());
  check_mpi(MPI_Alltoallv(input.data_ptr(), scounts.data(), sdispls.data(), type, output.data_ptr(),
                          rcounts.data(), rdispls.data(), type, comm_.get()),
            "MPI_Alltoallv");
  ++stats_.collectives;
  return output;
}

void MpiCommunicator::broadcast(at::Tensor& tensor, int root) {
  require_cpu_contiguous(tensor, "broadcast");
  MF_CHECK(root >= 0 && root < size_, CommError, "broadcast root " << root << " is not a rank");
  const int count = checked_count(tensor.numel(), "broadcast");
  check_mpi(
      MPI_Bcast(tensor.data_ptr(), count, transport_type(tensor.scalar_type()), root, comm_.get()),
      "MPI_Bcast");
  if (rank_ == root) stats_.bytes_sent += tensor.nbytes();
  ++stats_.collectives;
}

void MpiCommunicator::barrier() { check_mpi(MPI_Barrier(comm_.get()), "MPI_Barrier"); }

void MpiCommunicator::send(const at::Tensor& tensor, int destination, int tag) {
  require_cpu_contiguous(tensor, "send");
  const int count = checked_count(tensor.numel(), "send");
  check_mpi(MPI_Send(tensor.data_ptr(), count, transport_type(tensor.scalar_type()), destination,
                     tag, comm_.get()),
            "MPI_Send");
  stats_.bytes_sent += tensor.nbytes();
}

void MpiCommunicator::recv(at::Tensor& tensor, int source, int tag) {
  require_cpu_contiguous(tensor, "recv");
  const int count = checked_count(tensor.numel(), "recv");
  check_mpi(MPI_Recv(tensor.data_ptr(), count, transport_type(tensor.scalar_type()), source, tag,
                     comm_.get(), MPI_STATUS_IGNORE),
            "MPI_Recv");
}

namespace {

// Two MPI requests that complete together.
class MpiPendingExchange final : public PendingTransfer {
 public:
  MpiPendingExchange() = default;
  ~MpiPendingExchange() override {
    try {
      wait();
    } catch (const std::exception&) {
      // A destructor must not throw; the error was already visible to a caller of wait().
    }
  }
  void wait() override {
    if (done_) return;
    done_ = true;
    check_mpi(MPI_Waitall(2, requests_, MPI_STATUSES_IGNORE), "MPI_Waitall(exchange)");
  }
  MPI_Request* requests() { return requests_; }

 private:
  MPI_Request requests_[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  bool done_ = false;
};

}  // namespace

std::unique_ptr<PendingTransfer> MpiCommunicator::start_exchange(const at::Tensor& outgoing,
                                                                 int destination,
                                                                 at::Tensor& incoming, int source,
                                                                 int tag) {
  require_cpu_contiguous(outgoing, "start_exchange");
  require_cpu_contiguous(incoming, "start_exchange");
  auto pending = std::make_unique<MpiPendingExchange>();
  check_mpi(MPI_Irecv(incoming.data_ptr(), checked_count(incoming.numel(), "start_exchange"),
                      transport_type(incoming.scalar_type()), source, tag, comm_.get(),
                      &pending->requests()[0]),
            "MPI_Irecv");
  check_mpi(MPI_Isend(outgoing.data_ptr(), checked_count(outgoing.numel(), "start_exchange"),
                      transport_type(outgoing.scalar_type()), destination, tag, comm_.get(),
                      &pending->requests()[1]),
            "MPI_Isend");
  stats_.bytes_sent += outgoing.nbytes();
  return pending;
}

}  // namespace motionfarm::parallel
