#include "parallel/tensor_parallel.h"

#include "core/check.h"
#include "parallel/mappings.h"

namespace motionfarm::parallel {

namespace {
at::Tensor shard_dim(const at::Tensor& weight, int64_t dim, int rank, int parts) {
  MF_CHECK_EQ(weight.size(dim) % parts, 0, ModelError,
              "a dimension of " << weight.size(dim) << " cannot be split over " << parts
                                << " tensor-parallel ranks");
  const int64_t step = weight.size(dim) / parts;
  return weight.narrow(dim, rank * step, step).contiguous();
}
}  // namespace

at::Tensor shard_rows(const at::Tensor& weight, int rank, int parts) {
  return shard_dim(weight, 0, rank, parts);
}

at::Tensor shard_columns(const at::Tensor& weight, int rank, int parts) {
  return shard_dim(weight, 1, rank, parts);
}

at::Tensor column_parallel_linear(const at::Tensor& x, const at::Tensor& weight_shard,
                                  const at::Tensor& bias_shard) {
  return at::linear(x, weight_shard, bias_shard);
}

at::Tensor row_parallel_linear(const at::Tensor& x_shard, const at::Tensor& weight_shard,
                               const at::Tensor& bias, Communicator& tp) {
  at::Tensor partial = at::linear(x_shard, weight_shard).contiguous();
  reduce_from_tensor_parallel(partial, tp);
  return bias.defined() ? partial + bias : partial;
}

at::Tensor tensor_parallel_rms_norm(const at::Tensor& x_shard, const at::Tensor& weight_shard,
                                    int64_t full_dim, double eps, Communicator& tp) {
  at::Tensor xf = x_shard.to(at::kFloat);
  at::Tensor sum_of_squares = xf.pow(2).sum(-1, /*keepdim=*/true).contiguous();
  reduce_from_tensor_parallel(sum_of_squares, tp);
  at::Tensor normed = xf * at::rsqrt(sum_of_squares / static_cast<double>(full_dim) + eps);
  return normed.to(x_shard.scalar_type()) * weight_shard;
}

}  // namespace motionfarm::parallel
