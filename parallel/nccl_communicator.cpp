#include "parallel/nccl_communicator.h"

#include <mpi.h>

#include <numeric>

#include "core/check.h"

#ifdef MOTIONFARM_TORCH_HAS_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace motionfarm::parallel {

namespace {

ncclDataType_t nccl_type(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return ncclFloat32;
    case at::kDouble:
      return ncclFloat64;
    case at::kHalf:
      return ncclFloat16;
    case at::kBFloat16:
      return ncclBfloat16;
    case at::kLong:
      return ncclInt64;
    case at::kInt:
      return ncclInt32;
    case at::kChar:
      return ncclInt8;
    case at::kByte:
      return ncclUint8;
    case at::kBool:
      return ncclUint8;
    default:
      break;
  }
  throw CommError(std::string("the NCCL communicator cannot move tensors of dtype ") +
                  c10::toString(dtype));
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return ncclSum;
    case ReduceOp::Max:
      return ncclMax;
    case ReduceOp::Min:
      return ncclMin;
  }
  return ncclSum;
}

void require_cuda_contiguous(const at::Tensor& tensor, const char* what) {
  MF_CHECK(tensor.device().is_cuda(), CommError,
           what << " needs a CUDA tensor with the NCCL backend (got " << tensor.device()
                << "): use the MPI backend for CPU tensors");
  MF_CHECK(tensor.is_contiguous(), CommError, what << " needs a contiguous tensor");
}

int64_t row_elements(const at::Tensor& tensor) {
  int64_t elements = 1;
  for (int64_t d = 1; d < tensor.dim(); ++d) elements *= tensor.size(d);
  return elements;
}

}  // namespace

void check_nccl(ncclResult_t result, const char* what) {
  if (result == ncclSuccess) return;
  throw CommError(std::string(what) + " failed: " + ncclGetErrorString(result));
}

NcclComm::~NcclComm() {
  if (comm_ != nullptr) ncclCommDestroy(comm_);
}

NcclComm& NcclComm::operator=(NcclComm&& other) noexcept {
  if (this != &other) {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
    comm_ = other.comm_;
    other.comm_ = nullptr;
  }
  return *this;
}

NcclCommunicator::NcclCommunicator(const MpiComm& bootstrap, int device) : device_(device) {
  rank_ = bootstrap.rank();
  size_ = bootstrap.size();
  // Every rank must learn whether every other rank has its GPU before anyone enters NCCL init,
  // which would otherwise wait forever for a rank that threw.
  int device_count = 0;
  const cudaError_t probe = cudaGetDeviceCount(&device_count);
  int usable = (probe == cudaSuccess && device >= 0 && device < device_count) ? 1 : 0;
  int all_usable = 0;
  check_mpi(MPI_Allreduce(&usable, &all_usable, 1, MPI_INT, MPI_MIN, bootstrap.get()),
            "MPI_Allreduce(NCCL device check)");
  if (!usable) {
    cudaGetLastError();
    throw CommError("the NCCL communicator needs a GPU, but rank " + std::to_string(rank_) +
                    " cannot use CUDA device " + std::to_string(device) + " (" +
                    (probe == cudaSuccess ? std::to_string(device_count) + " device(s) visible"
                                          : std::string(cudaGetErrorString(probe))) +
                    "): run on GPU nodes or choose the MPI backend");
  }
  if (!all_usable) throw CommError("another rank of this group has no usable GPU: see its error");

  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id;
  if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  check_mpi(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, bootstrap.get()), "MPI_Bcast(ncclUniqueId)");
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitRank(&comm, size_, id, rank_), "ncclCommInitRank");
  comm_ = NcclComm(comm);
#ifndef MOTIONFARM_TORCH_HAS_CUDA
  owned_stream_ = std::make_unique<CudaStream>();
#endif
}

cudaStream_t NcclCommunicator::stream() const {
#ifdef MOTIONFARM_TORCH_HAS_CUDA
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_)).stream();
#else
  return owned_stream_->get();
#endif
}

void NcclCommunicator::all_reduce(at::Tensor& tensor, ReduceOp op) {
  require_cuda_contiguous(tensor, "all_reduce");
  check_nccl(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(),
                           nccl_type(tensor.scalar_type()), nccl_op(op), comm_.get(), stream()),
             "ncclAllReduce");
  stats_.bytes_sent += tensor.nbytes() * 2 * (size_ - 1) / size_;
  ++stats_.collectives;
}

at::Tensor NcclCommunicator::all_gather(const at::Tensor& input) {
  require_cuda_contiguous(input, "all_gather");
  std::vector<int64_t> shape = input.sizes().vec();
  MF_CHECK(!shape.empty(), CommError, "all_gather needs a tensor with at least one dimension");
  shape[0] *= size_;
  at::Tensor output = at::empty(shape, input.options());
  check_nccl(ncclAllGather(input.data_ptr(), output.data_ptr(), input.numel(),
                           nccl_type(input.scalar_type()), comm_.get(), stream()),
             "ncclAllGather");
  stats_.bytes_sent += input.nbytes() * (size_ - 1);
  ++stats_.collectives;
  return output;
}

at::Tensor NcclCommunicator::reduce_scatter(const at::Tensor& input) {
  require_cuda_contiguous(input, "reduce_scatter");
  MF_CHECK(input.dim() >= 1 && input.size(0) % size_ == 0, CommError,
           "reduce_scatter needs dim 0 divisible by the " << size_ << " ranks");
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] /= size_;
  at::Tensor output = at::empty(shape, input.options());
  check_nccl(ncclReduceScatter(input.data_ptr(), output.data_ptr(), output.numel(),
                               nccl_type(input.scalar_type()), ncclSum, comm_.get(), stream()),
             "ncclReduceScatter");
  stats_.bytes_sent += output.nbytes() * (size_ - 1);
  ++stats_.collectives;
  return output;
}

at::Tensor NcclCommunicator::all_to_all(const at::Tensor& input) {
  MF_CHECK(input.dim() >= 1 && input.size(0) % size_ == 0, CommError,
           "all_to_all needs dim 0 divisible by the " << size_ << " ranks");
  const std::vector<int64_t> counts(size_, input.size(0) / size_);
  return all_to_all(input, counts, counts);
}

at::Tensor NcclCommunicator::all_to_all(const at::Tensor& input,
                                        const std::vector<int64_t>& send_counts,
                                        const std::vector<int64_t>& recv_counts) {
  require_cuda_contiguous(input, "all_to_all");
  MF_CHECK_EQ(static_cast<int>(send_counts.size()), size_, CommError,
              "all_to_all needs one send count per rank");
  MF_CHECK_EQ(static_cast<int>(recv_counts.size()), size_, CommError,
              "all_to_all needs one receive count per rank");
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] = std::accumulate(recv_counts.begin(), recv_counts.end(), int64_t{0});
  at::Tensor output = at::empty(shape, input.options());
  const int64_t row = row_elements(input);
  const ncclDataType_t type = nccl_type(input.scalar_type());
  const auto* send_base = static_cast<const char*>(input.data_ptr());
  auto* recv_base = static_cast<char*>(output.data_ptr());
  const int64_t row_bytes = row * static_cast<int64_t>(input.element_size());
  int64_t send_row = 0;
  int64_t recv_row = 0;
  // NCCL has no all-to-all: the grouped send/recv pairs are its documented equivalent.
  check_nccl(ncclGroupStart(), "ncclGroupStart");
  for (int peer = 0; peer < size_; ++peer) {
    check_nccl(ncclSend(send_base + send_row * row_bytes, send_counts[peer] * row, type, peer,
                        comm_.get(), stream()),
               "ncclSend");
    check_nccl(ncclRecv(recv_base + recv_row * row_bytes, recv_counts[peer] * row, type, peer,
                        comm_.get(), stream()),
               "ncclRecv");
    if (peer != rank_) stats_.bytes_sent += send_counts[peer] * row_bytes;
    send_row += send_counts[peer];
    recv_row += recv_counts[peer];
  }
  check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  ++stats_.collectives;
  return output;
}

void NcclCommunicator::broadcast(at::Tensor& tensor, int root) {
  require_cuda_contiguous(tensor, "broadcast");
  check_nccl(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(),
                           nccl_type(tensor.scalar_type()), root, comm_.get(), stream()),
             "ncclBroadcast");
  if (rank_ == root) stats_.bytes_sent += tensor.nbytes();
  ++stats_.collectives;
}

void NcclCommunicator::barrier() {
  // A one-element all-reduce orders every rank's stream; synchronising makes it a host barrier.
  int* scratch = nullptr;
  check_cuda(cudaMallocAsync(reinterpret_cast<void**>(&scratch), sizeof(int), stream()),
             "cudaMallocAsync");
  check_cuda(cudaMemsetAsync(scratch, 0, sizeof(int), stream()), "cudaMemsetAsync");
  check_nccl(ncclAllReduce(scratch, scratch, 1, ncclInt32, ncclSum, comm_.get(), stream()),
             "ncclAllReduce(barrier)");
  check_cuda(cudaFreeAsync(scratch, stream()), "cudaFreeAsync");
  check_cuda(cudaStreamSynchronize(stream()), "cudaStreamSynchronize(barrier)");
}

void NcclCommunicator::send(const at::Tensor& tensor, int destination, int /*tag*/) {
  // NCCL matches point-to-point calls by order, not tag: callers pair sends and receives in order.
  require_cuda_contiguous(tensor, "send");
  check_nccl(ncclSend(tensor.data_ptr(), tensor.numel(), nccl_type(tensor.scalar_type()),
                      destination, comm_.get(), stream()),
             "ncclSend");
  stats_.bytes_sent += tensor.nbytes();
}

void NcclCommunicator::recv(at::Tensor& tensor, int source, int /*tag*/) {
  require_cuda_contiguous(tensor, "recv");
  check_nccl(ncclRecv(tensor.data_ptr(), tensor.numel(), nccl_type(tensor.scalar_type()), source,
                      comm_.get(), stream()),
             "ncclRecv");
}

namespace {
class StreamOrderedTransfer final : public PendingTransfer {
 public:
  void wait() override {}
};
}  // namespace

std::unique_ptr<PendingTransfer> NcclCommunicator::start_exchange(const at::Tensor& outgoing,
                                                                  int destination,
                                                                  at::Tensor& incoming, int source,
                                                                  int /*tag*/) {
  require_cuda_contiguous(outgoing, "start_exchange");
  require_cuda_contiguous(incoming, "start_exchange");
  check_nccl(ncclGroupStart(), "ncclGroupStart");
  check_nccl(ncclSend(outgoing.data_ptr(), outgoing.numel(), nccl_type(outgoing.scalar_type()),
                      destination, comm_.get(), stream()),
             "ncclSend");
  check_nccl(ncclRecv(incoming.data_ptr(), incoming.numel(), nccl_type(incoming.scalar_type()),
                      source, comm_.get(), stream()),
             "ncclRecv");
  check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  stats_.bytes_sent += outgoing.nbytes();
  return std::make_unique<StreamOrderedTransfer>();
}

}  // namespace motionfarm::parallel
