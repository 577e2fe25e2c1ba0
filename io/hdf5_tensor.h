// One LibTorch tensor as one HDF5 dataset: chunked, in the tensor's own dtype, with its dtype,
// shape and XXH64 checksum as attributes, and read back only after its claimed size has been
// checked against the file.
//
// Stored types: float32, float64 and float16 as HDF5 IEEE floats (h5py reads them as numpy
// float32/float64/float16); bfloat16, which HDF5 has no float type for, as little-endian uint16
// holding the raw bits, with attribute dtype = "bfloat16" saying how to read them (numpy:
// `(a.astype(np.uint32) << 16).view(np.float32)`). The checksum covers the tensor's raw
// little-endian bytes in C order, whatever the on-disk compression.
#pragma once

#include <ATen/ATen.h>
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/tensor_storage_options.h"

namespace motionfarm::io {

// What a dataset's attributes say it holds, without reading the data.
struct TensorDatasetInfo {
  std::string dtype;           // "float32", "float64", "float16" or "bfloat16"
  std::vector<int64_t> shape;  // as the dataspace holds it (checked against attribute shape)
  uint64_t checksum = 0;       // XXH64 of the raw bytes
  bool compressed = false;     // a filter (gzip) is applied to the chunks
};

// The name motionfarm uses for a dtype it can store ("float32", ...); throws CheckpointError for
// any other.
std::string tensor_dtype_name(at::ScalarType type);

// XXH64 of the bytes of `tensor` (contiguous CPU, C order).
uint64_t tensor_checksum(const at::Tensor& tensor);

// Writes `tensor` (any device; copied to the CPU) as dataset `name` under `parent`. Returns its
// checksum. Throws CheckpointError for an unsupported dtype or an HDF5 failure.
uint64_t write_tensor_dataset(hid_t parent, const std::string& name, const at::Tensor& tensor,
                              const TensorDatasetOptions& options);

// Reads the attributes and checks them against the dataspace, the stored type and the file size
// (`file_bytes`), so that a dataset claiming more data than the file can hold is rejected here.
// `where` names the dataset in errors ("store.h5 /segments/001/latents").
TensorDatasetInfo describe_tensor_dataset(hid_t parent, const std::string& name,
                                          const std::string& where, uint64_t file_bytes);

// describe_tensor_dataset(), then the data (a CPU tensor of the stored dtype), then the checksum.
// Throws CheckpointError naming `where` on any mismatch.
at::Tensor read_tensor_dataset(hid_t parent, const std::string& name, const std::string& where,
                               uint64_t file_bytes);

}  // namespace motionfarm::io
