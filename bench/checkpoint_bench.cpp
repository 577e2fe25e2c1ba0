// Latent checkpoint write throughput next to a plain sequential write of the same bytes to the
// same disk, in one run.
//
//   bench_checkpoint [--dir DIR] [--latent C,T,H,W] [--segments N] [--compression L]
//                    [--chunk-mib M] [--repeats R]
//
// The checkpoint is what a rank writes every K steps: a UniPC sampling state (the latent, two
// history tensors and the last sample; four float32 tensors of the latent's shape, by default
// Wan 720p 81 frames: [16, 21, 90, 160], 19 MiB each). Each row times LatentStore::write_state
// (HDF5 file written beside the store, checksummed, fsynced and renamed over it) and then
// write() + fsync() of a file of the same size as the store that results, in the same folder.
// Rows: an empty store; a store already holding N finished segments (copied into every new
// version: the cost of the copy-on-write scheme); and optionally with gzip. Prints MB/s for both
// and the ratio checkpoint / plain (target >= 0.8); with gzip, both over the uncompressed bytes.
#include <ATen/ATen.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "io/latent_store.h"

namespace {

namespace fs = std::filesystem;
using motionfarm::io::LatentStore;
using motionfarm::io::LatentStoreMeta;
using motionfarm::io::LatentStoreOptions;
using motionfarm::io::SamplingState;

struct Options {
  std::string dir = fs::temp_directory_path().string();
  std::vector<int64_t> latent = {16, 21, 90, 160};
  int segments = 3;
  int compression = 0;  // 0: no gzip row
  int repeats = 5;
  int64_t chunk_mib = 4;
};

std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> shape;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) shape.push_back(std::stoll(part));
  if (shape.empty()) throw std::runtime_error("--latent needs C,T,H,W");
  return shape;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--dir") {
      options.dir = value;
    } else if (arg == "--latent") {
      options.latent = parse_shape(value);
    } else if (arg == "--segments") {
      options.segments = std::stoi(value);
    } else if (arg == "--compression") {
      options.compression = std::stoi(value);
    } else if (arg == "--chunk-mib") {
      options.chunk_mib = std::stoll(value);
    } else if (arg == "--repeats") {
      options.repeats = std::stoi(value);
    } else {
      throw std::runtime_error("unknown option " + arg);
    }
  }
  return options;
}

// write() + fsync() of `bytes` from `data` into a new file, as a plain checkpoint would.
void plain_write(const std::string& path, const std::vector<char>& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t written = ::write(fd, data.data() + done, data.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0)
      throw std::runtime_error("write failed: " + std::string(std::strerror(errno)));
    done += static_cast<size_t>(written);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("fsync/close failed");
}

SamplingState make_state(const std::vector<int64_t>& shape) {
  SamplingState state;
  state.sampler = "unipc";
  state.num_steps = 40;
  state.shift = 5.0;
  state.step_index = 20;
  state.latent = at::randn(shape);
  state.model_outputs = {at::randn(shape), at::randn(shape)};
  state.last_sample = at::randn(shape);
  return state;
}

void run_row(const char* label, const Options& options, int segments_before, int compression,
             const SamplingState& state) {
  const std::string store_path = options.dir + "/bench_checkpoint.h5";
  const std::string plain_path = options.dir + "/bench_plain.bin";
  LatentStoreMeta meta;
  meta.identity = {"bench-model", "bench-config", 1, "bench-prompt"};
  LatentStoreOptions store_options;
  store_options.tensors.compression_level = compression;
  store_options.tensors.chunk_bytes = options.chunk_mib << 20;
  LatentStore store = LatentStore::create(store_path, meta, store_options);
  for (int i = 0; i < segments_before; ++i) store.write_segment(i, state.latent);

  // The same bytes: the file as stored; with gzip, the uncompressed bytes a plain checkpoint
  // would write instead.
  SamplingState next = state;
  store.write_state(segments_before, next);  // warm-up, and the file size to match
  const auto file_bytes = static_cast<size_t>(fs::file_size(store_path));
  const size_t tensor_bytes = static_cast<size_t>(state.latent.numel()) * sizeof(float);
  const size_t plain_bytes =
      compression > 0 ? tensor_bytes * static_cast<size_t>(4 + segments_before) : file_bytes;
  const std::vector<char> data(plain_bytes, 1);
  plain_write(plain_path, data);

  // Alternating the two, so that load from other processes and the disk's own state hit both
  // alike; the medians are compared.
  std::vector<double> hdf5_times, plain_times;
  for (int i = 0; i < options.repeats; ++i) {
    next.step_index = (next.step_index + 1) % state.num_steps;
    hdf5_times.push_back(
        motionfarm::bench::median_seconds([&] { store.write_state(segments_before, next); }, 1, 0));
    plain_times.push_back(
        motionfarm::bench::median_seconds([&] { plain_write(plain_path, data); }, 1, 0));
  }
  std::sort(hdf5_times.begin(), hdf5_times.end());
  std::sort(plain_times.begin(), plain_times.end());
  const double hdf5_seconds = hdf5_times[hdf5_times.size() / 2];
  const double plain_seconds = plain_times[plain_times.size() / 2];
  fs::remove(store_path);
  fs::remove(plain_path);

  const double mb = plain_bytes / 1e6;
  std::printf("%-34s %9.1f MB  %9.1f MB  %9.1f MB/s  %9.1f MB/s  %6.2f\n", label, mb,
              file_bytes / 1e6, mb / hdf5_seconds, mb / plain_seconds,
              plain_seconds / hdf5_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    at::manual_seed(0);
    const SamplingState state = make_state(options.latent);
    std::printf("checkpoint bench: folder %s, latent [", options.dir.c_str());
    for (size_t i = 0; i < options.latent.size(); ++i) {
      std::printf("%s%lld", i ? ", " : "", static_cast<long long>(options.latent[i]));
    }
    std::printf("] float32, median of %d\n", options.repeats);
    std::printf("%-34s %12s  %12s  %14s  %14s  %6s\n", "row", "bytes", "file", "checkpoint",
                "write+fsync", "ratio");
    run_row("state, empty store", options, 0, 0, state);
    const std::string with_segments =
        "state, store with " + std::to_string(options.segments) + " segments";
    run_row(with_segments.c_str(), options, options.segments, 0, state);
    if (options.compression > 0) {
      const std::string gzip = "state, gzip " + std::to_string(options.compression);
      run_row(gzip.c_str(), options, 0, options.compression, state);
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_checkpoint: %s\n", error.what());
    return 1;
  }
}
