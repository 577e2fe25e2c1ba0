// Megatron-style tensor-parallel building blocks. Each owns one idea: how a weight is split and
// where the one collective goes. Weight slices are taken with the shard_* helpers, which narrow a
// (possibly memory-mapped) tensor and copy only the slice.
#pragma once

#include <ATen/ATen.h>

#include "parallel/communicator.h"

namespace motionfarm::parallel {

// Rows [rank·n/parts, (rank+1)·n/parts) of dim 0 (output features of a Linear; a bias).
at::Tensor shard_rows(const at::Tensor& weight, int rank, int parts);
// Columns of dim 1 (input features of a Linear).
at::Tensor shard_columns(const at::Tensor& weight, int rank, int parts);

// Rank-local: y_shard = x · W_shardᵀ + b_shard, W split by rows (output features). No collective.
at::Tensor column_parallel_linear(const at::Tensor& x, const at::Tensor& weight_shard,
                                  const at::Tensor& bias_shard);

// Collective over `tp`: x_shard holds this rank's input features, W split by columns; the partial
// products are summed with one all-reduce, then the (unsplit) bias is added once.
at::Tensor row_parallel_linear(const at::Tensor& x_shard, const at::Tensor& weight_shard,
                               const at::Tensor& bias, Communicator& tp);

// Collective over `tp`: RMSNorm over the full feature dim when each rank holds a slice of it
// (Wan's q/k norm spans the whole model dim): the sum of squares is all-reduced. Computed in fp32.
at::Tensor tensor_parallel_rms_norm(const at::Tensor& x_shard, const at::Tensor& weight_shard,
                                    int64_t full_dim, double eps, Communicator& tp);

}  // namespace motionfarm::parallel
