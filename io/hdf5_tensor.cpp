#include "io/hdf5_tensor.h"

#include <algorithm>
#include <cstdio>
#include <future>
#include <limits>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/error.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_handles.h"
#include "io/xxhash64.h"

// The file types below are little-endian and double as the in-memory types, which is right only
// on a little-endian host (every platform LibTorch supports).
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "io/hdf5_tensor.cpp assumes a little-endian host"
#endif

namespace motionfarm::io {
namespace {

// A dataset's rank beyond which the store is surely not ours (latents are 4-D or 5-D).
constexpr int kMaxRank = 8;
// gzip cannot expand data by more than ~1032x, so a compressed dataset claiming more than this
// many times the file's size is hostile.
constexpr uint64_t kMaxCompressionRatio = 1100;
// Below this a thread costs more than the hashing it would hide.
constexpr int64_t kParallelChecksumBytes = 1 << 20;

// IEEE half precision, little-endian: sign bit 15, 5 exponent bits at 10, 10 mantissa bits, bias
// 15; the same type h5py writes for numpy float16.
H5Datatype make_float16_type() {
  H5Datatype type(check_h5(H5Tcopy(H5T_IEEE_F32LE), "cannot create a float16 type"));
  check_h5(H5Tset_fields(type.get(), 15, 10, 5, 0, 10), "cannot create a float16 type");
  check_h5(H5Tset_size(type.get(), 2), "cannot create a float16 type");
  check_h5(H5Tset_ebias(type.get(), 15), "cannot create a float16 type");
  return type;
}

// How one supported dtype is stored. `type` is either a predefined HDF5 type (not owned) or
// owned_type's id.
struct StoredType {
  at::ScalarType scalar_type;
  H5T_class_t type_class;
  size_t size;
  hid_t type = H5I_INVALID_HID;
  H5Datatype owned_type;
};

StoredType stored_type(const std::string& dtype, const std::string& where) {
  StoredType stored;
  if (dtype == "float32") {
    stored.scalar_type = at::kFloat;
    stored.type_class = H5T_FLOAT;
    stored.size = 4;
    stored.type = H5T_IEEE_F32LE;
  } else if (dtype == "float64") {
    stored.scalar_type = at::kDouble;
    stored.type_class = H5T_FLOAT;
    stored.size = 8;
    stored.type = H5T_IEEE_F64LE;
  } else if (dtype == "float16") {
    stored.scalar_type = at::kHalf;
    stored.type_class = H5T_FLOAT;
    stored.size = 2;
    stored.owned_type = make_float16_type();
    stored.type = stored.owned_type.get();
  } else if (dtype == "bfloat16") {
    stored.scalar_type = at::kBFloat16;
    stored.type_class = H5T_INTEGER;
    stored.size = 2;
    stored.type = H5T_STD_U16LE;
  } else {
    throw CheckpointError(where + ": dtype '" + dtype +
                          "' is not one motionfarm stores (float32, float64, float16, bfloat16)");
  }
  return stored;
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Chunk dims for `dims`: the whole tensor, split along the leading dimensions until a chunk fits
// in `chunk_bytes`, so that each chunk is a run of whole trailing rows. A dimension is split into
// the fewest equal parts that fit (a divisor of it where one exists), because a partial last chunk
// still takes a whole chunk's space on disk.
std::vector<hsize_t> chunk_dims(const std::vector<hsize_t>& dims, size_t element_size,
                                int64_t chunk_bytes) {
  std::vector<hsize_t> chunk = dims;
  const auto target = static_cast<uint64_t>(chunk_bytes);
  for (size_t axis = 0; axis < chunk.size(); ++axis) {
    uint64_t rest = element_size;  // bytes of one index along `axis`
    for (size_t i = axis + 1; i < chunk.size(); ++i) rest *= chunk[i];
    if (rest * chunk[axis] <= target) break;
    const hsize_t fit = std::max<hsize_t>(1, target / rest);  // most indices that fit
    hsize_t best = fit;
    for (hsize_t size = fit; size >= 1 && size * 2 > fit; --size) {
      if (dims[axis] % size == 0) {
        best = size;
        break;
      }
    }
    chunk[axis] = best;
    if (best > 1 || rest <= target) break;
  }
  return chunk;
}

bool compression_available() {
  return H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 && H5Zfilter_avail(H5Z_FILTER_SHUFFLE) > 0;
}

}  // namespace

void TensorDatasetOptions::validate() const {
  MF_CHECK(compression_level >= 0 && compression_level <= 9, ConfigError,
           "checkpoint compression level " << compression_level << " is not in 0-9");
  MF_CHECK_GE(chunk_bytes, 1024, ConfigError, "checkpoint chunks must be at least 1 KiB");
}

std::string tensor_dtype_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return "float32";
    case at::kDouble:
      return "float64";
    case at::kHalf:
      return "float16";
    case at::kBFloat16:
      return "bfloat16";
    default:
      throw CheckpointError(std::string("cannot store a tensor of dtype ") + at::toString(type) +
                            " in a latent checkpoint (float32, float64, float16, bfloat16 only)");
  }
}

uint64_t tensor_checksum(const at::Tensor& tensor) {
  return xxhash64(tensor.data_ptr(), tensor.numel() * tensor.element_size());
}

uint64_t write_tensor_dataset(hid_t parent, const std::string& name, const at::Tensor& tensor,
                              const TensorDatasetOptions& options) {
  quiet_hdf5_errors();
  options.validate();
  MF_CHECK(tensor.defined(), CheckpointError, "cannot store an undefined tensor as " << name);
  const std::string dtype = tensor_dtype_name(tensor.scalar_type());
  const StoredType stored = stored_type(dtype, name);
  const at::Tensor data = tensor.to(at::kCPU).contiguous();

  std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  const H5Dataspace space(
      check_h5(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               "cannot create the dataspace of " + name));
  const H5PropertyList create(
      check_h5(H5Pcreate(H5P_DATASET_CREATE), "cannot create dataset properties"));
  // Without timestamps the same tensor always gives the same bytes; without fill values HDF5
  // does not write every chunk twice.
  check_h5(H5Pset_obj_track_times(create.get(), false), "cannot set dataset properties");
  check_h5(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "cannot set dataset properties");
  // HDF5 cannot chunk a scalar or a dataset with a zero dimension; those stay contiguous.
  size_t chunk_size = 0;  // bytes of one chunk
  if (data.numel() > 0 && !dims.empty()) {
    const std::vector<hsize_t> chunk = chunk_dims(dims, stored.size, options.chunk_bytes);
    chunk_size = stored.size;
    for (const hsize_t extent : chunk) chunk_size *= static_cast<size_t>(extent);
    check_h5(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()),
             "cannot chunk " + name);
    if (options.compression_level > 0 && compression_available()) {
      check_h5(H5Pset_shuffle(create.get()), "cannot set up compression of " + name);
      check_h5(H5Pset_deflate(create.get(), static_cast<unsigned>(options.compression_level)),
               "cannot set up compression of " + name);
    }
  }
  // A chunk cache that holds a whole chunk. libhdf5 1.10.8 writes a chunk larger than the cache
  // (1 MiB by default) straight to the file, except that with the 1.10 file format's single-chunk
  // index (a dataset that is one chunk) and no fill value it writes nothing and H5Dwrite still
  // succeeds: every 1-4 MiB tensor was lost, caught only by the checksum on the next read
  // (tests/unit/io/disk_full_test.cpp found it). Through the cache it is written on close.
  const H5PropertyList access(
      check_h5(H5Pcreate(H5P_DATASET_ACCESS), "cannot create dataset access properties"));
  check_h5(
      H5Pset_chunk_cache(access.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT,
                         std::max<size_t>(size_t{1} << 20, chunk_size), H5D_CHUNK_CACHE_W0_DEFAULT),
      "cannot set dataset access properties");
  const H5Dataset dataset(check_h5(H5Dcreate2(parent, name.c_str(), stored.type, space.get(),
                                              H5P_DEFAULT, create.get(), access.get()),
                                   "cannot create dataset " + name));
  // The checksum of a large tensor is computed on another thread while HDF5 copies the same
  // bytes into the file: hashing costs about half a memcpy, which would otherwise add directly to
  // the checkpoint time. (The future's destructor waits for it when H5Dwrite throws.)
  const bool hash_in_parallel = data.numel() * data.element_size() >= kParallelChecksumBytes;
  std::future<uint64_t> parallel_checksum;
  if (hash_in_parallel) {
    parallel_checksum = std::async(std::launch::async, [&data] { return tensor_checksum(data); });
  }
  if (data.numel() > 0) {
    check_h5(H5Dwrite(dataset.get(), stored.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()),
             "cannot write dataset " + name);
  }
  const uint64_t checksum = hash_in_parallel ? parallel_checksum.get() : tensor_checksum(data);
  write_string_attribute(dataset.get(), "dtype", dtype);
  write_int_array_attribute(dataset.get(), "shape", {data.sizes().begin(), data.sizes().end()});
  write_uint_attribute(dataset.get(), "xxh64", checksum);
  return checksum;
}

namespace {

// The open dataset plus everything describe_tensor_dataset() checked.
struct CheckedDataset {
  H5Dataset dataset;
  TensorDatasetInfo info;
  uint64_t logical_bytes = 0;
};

CheckedDataset check_dataset(hid_t parent, const std::string& name, const std::string& where,
                             uint64_t file_bytes) {
  quiet_hdf5_errors();
  const htri_t exists = H5Lexists(parent, name.c_str(), H5P_DEFAULT);
  if (exists <= 0) {
    take_hdf5_error_stack();
    throw CheckpointError(where + " is missing; the file is incomplete or damaged");
  }
  CheckedDataset checked;
  checked.dataset = H5Dataset(
      check_h5(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), where + ": cannot open the dataset"));
  const hid_t dataset = checked.dataset.get();
  TensorDatasetInfo& info = checked.info;

  info.dtype = read_string_attribute(dataset, "dtype", where);
  const StoredType stored = stored_type(info.dtype, where);
  const H5Datatype file_type(
      check_h5(H5Dget_type(dataset), where + ": cannot read the stored type"));
  if (H5Tget_class(file_type.get()) != stored.type_class ||
      H5Tget_size(file_type.get()) != stored.size) {
    throw CheckpointError(where + ": the stored element type does not match its dtype attribute '" +
                          info.dtype + "'; the file is damaged");
  }

  const H5Dataspace space(check_h5(H5Dget_space(dataset), where + ": cannot read the dataspace"));
  const int rank = check_h5(H5Sget_simple_extent_ndims(space.get()), where + ": bad dataspace");
  if (rank > kMaxRank) {
    throw CheckpointError(where + ": has " + std::to_string(rank) + " dimensions (at most " +
                          std::to_string(kMaxRank) + " are accepted); the file is damaged");
  }
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) check_h5(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), where);
  const std::vector<int64_t> shape_attribute =
      read_int_array_attribute(dataset, "shape", where, kMaxRank);

  // Bytes the dataspace claims, refusing sizes that overflow or that no file of this size holds.
  uint64_t logical = stored.size;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(std::numeric_limits<int64_t>::max()) ||
        (d != 0 && logical > std::numeric_limits<uint64_t>::max() / d)) {
      logical = std::numeric_limits<uint64_t>::max();
      break;
    }
    logical *= d;
    info.shape.push_back(static_cast<int64_t>(d));
  }
  const H5PropertyList create(
      check_h5(H5Dget_create_plist(dataset), where + ": cannot read the dataset layout"));
  const int filters = check_h5(H5Pget_nfilters(create.get()), where + ": bad filter pipeline");
  info.compressed = filters > 0;
  const uint64_t limit =
      info.compressed ? (file_bytes > std::numeric_limits<uint64_t>::max() / kMaxCompressionRatio
                             ? std::numeric_limits<uint64_t>::max()
                             : file_bytes * kMaxCompressionRatio)
                      : file_bytes;
  if (logical == std::numeric_limits<uint64_t>::max() || logical > limit) {
    throw CheckpointError(where + ": claims " +
                          (logical == std::numeric_limits<uint64_t>::max()
                               ? std::string("more than 2^64")
                               : std::to_string(logical)) +
                          " bytes of data, more than a file of " + std::to_string(file_bytes) +
                          " bytes can hold; the file is damaged or hostile");
  }
  if (shape_attribute != info.shape) {
    throw CheckpointError(where + ": its shape attribute " + shape_text(shape_attribute) +
                          " does not match the stored dimensions " + shape_text(info.shape) +
                          "; the file is damaged");
  }
  if (H5Pget_layout(create.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<size_t>(std::max(rank, 1)));
    const int chunk_rank = check_h5(H5Pget_chunk(create.get(), rank, chunk.data()), where);
    uint64_t chunk_bytes = stored.size;
    bool fits = chunk_rank == rank;
    for (int i = 0; fits && i < rank; ++i) {
      fits = chunk[static_cast<size_t>(i)] <= dims[static_cast<size_t>(i)];
      chunk_bytes *= chunk[static_cast<size_t>(i)];
    }
    // Each chunk is decoded into a buffer of its full size: one larger than the data is hostile.
    if (!fits || chunk_bytes > std::max<uint64_t>(logical, stored.size)) {
      throw CheckpointError(where +
                            ": its chunks are larger than the dataset; the file is damaged");
    }
  }
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    size_t values = 0;
    const H5Z_filter_t filter = H5Pget_filter2(create.get(), static_cast<unsigned>(i), &flags,
                                               &values, nullptr, 0, nullptr, nullptr);
    if (filter != H5Z_FILTER_DEFLATE && filter != H5Z_FILTER_SHUFFLE) {
      take_hdf5_error_stack();
      throw CheckpointError(where + ": uses HDF5 filter " + std::to_string(filter) +
                            ", which motionfarm does not write (only shuffle and gzip)");
    }
  }
  if (H5Dget_storage_size(dataset) > file_bytes) {
    throw CheckpointError(where + ": claims more stored bytes than the file holds; the file is " +
                          "truncated or damaged");
  }
  info.checksum = read_uint_attribute(dataset, "xxh64", where);
  checked.logical_bytes = logical;
  return checked;
}

}  // namespace

TensorDatasetInfo describe_tensor_dataset(hid_t parent, const std::string& name,
                                          const std::string& where, uint64_t file_bytes) {
  return check_dataset(parent, name, where, file_bytes).info;
}

at::Tensor read_tensor_dataset(hid_t parent, const std::string& name, const std::string& where,
                               uint64_t file_bytes) {
  const CheckedDataset checked = check_dataset(parent, name, where, file_bytes);
  const StoredType stored = stored_type(checked.info.dtype, where);
  at::Tensor tensor = at::empty(checked.info.shape, at::TensorOptions().dtype(stored.scalar_type));
  if (tensor.numel() > 0) {
    check_h5(H5Dread(checked.dataset.get(), stored.type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     tensor.data_ptr()),
             where + ": cannot read the data (the file is truncated or damaged)");
  }
  const uint64_t actual = tensor_checksum(tensor);
  if (actual != checked.info.checksum) {
    throw CheckpointError(where + ": checksum mismatch (stored " + hex(checked.info.checksum) +
                          ", data hashes to " + hex(actual) +
                          "): the data is corrupt and must be recomputed");
  }
  return tensor;
}

}  // namespace motionfarm::io
