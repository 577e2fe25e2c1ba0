// Parallel VAE decode benchmark, run under mpirun: one clip decoded by a mid-size random-weight
// Wan2.1 VAE with its frames split into row bands over the ranks. Prints one JSON line (rank 0)
// with the decode's wall time, the peak RSS growth of the decode per rank (max over ranks) and the
// causal cache per rank, so the memory per rank can be read against the rank count side by side.
//
//   mpirun -np 1 bench_parallel_vae
//   mpirun -np 4 bench_parallel_vae --dim 32 --frames 33 --height 256 --width 256 --frames-on band
#include <ATen/Parallel.h>
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/bench_support.h"
#include "core/error.h"
#include "model/seeded_noise.h"
#include "model/vae_config.h"
#include "model/wan_vae.h"
#include "parallel/mpi_communicator.h"
#include "parallel/mpi_runtime.h"
#include "parallel/parallel_vae_decoder.h"

namespace {

using namespace motionfarm;

// Norm gains 1, biases 0, weights N(0, 1/fan_in): activations stay O(1) through the levels.
void load_random_weights(model::WanVae& vae, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  vae.visit_parameters(
      [&](const std::string& name, const std::vector<int64_t>& shape, at::Tensor& slot) {
        const auto options = at::TensorOptions().dtype(at::kFloat);
        if (name.size() >= 5 && name.compare(name.size() - 5, 5, "gamma") == 0) {
          slot = at::ones(shape, options);
        } else if (shape.size() == 1) {
          slot = at::zeros(shape, options);
        } else {
          int64_t fan_in = 1;
          for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
          slot = at::randn(shape, generator, options) / std::sqrt(static_cast<double>(fan_in));
        }
      });
  vae.mark_loaded();
}

parallel::DecodedFramesOn parse_frames_on(const std::string& text) {
  if (text == "root") return parallel::DecodedFramesOn::kRoot;
  if (text == "all") return parallel::DecodedFramesOn::kEveryRank;
  if (text == "band") return parallel::DecodedFramesOn::kOwnBand;
  throw ConfigError("--frames-on is root, all or band (got '" + text + "')");
}

double max_over_ranks(double value) {
  double result = value;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  parallel::MpiRuntime mpi(&argc, &argv, MPI_THREAD_MULTIPLE);
  po::options_description options("bench_parallel_vae");
  options.add_options()("dim", po::value<int64_t>()->default_value(32), "VAE base width")(
      "frames", po::value<int64_t>()->default_value(33), "decoded frames (1 + 4n)")(
      "height", po::value<int64_t>()->default_value(256), "frame rows (multiple of 8)")(
      "width", po::value<int64_t>()->default_value(256), "frame columns (multiple of 8)")(
      "frames-on", po::value<std::string>()->default_value("band"), "root | all | band")(
      "threads", po::value<int>()->default_value(1), "torch threads per rank")(
      "repeats", po::value<int>()->default_value(1), "timed decodes");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, options), values);
  at::set_num_threads(values["threads"].as<int>());

  model::VaeConfig config = model::wan21_vae_preset();
  config.dim = config.dec_dim = values["dim"].as<int64_t>();
  model::WanVae vae(config);
  load_random_weights(vae, 1);

  const int64_t frames = values["frames"].as<int64_t>();
  const int64_t s = config.spatial_factor();
  const at::Tensor latents = model::seeded_normal(
      {1, "bench-vae", 0}, {1, config.z_dim, 1 + (frames - 1) / config.temporal_factor(),
                            values["height"].as<int64_t>() / s, values["width"].as<int64_t>() / s});

  parallel::MpiCommunicator group(parallel::MpiComm::world());
  const std::string frames_on = values["frames-on"].as<std::string>();
  parallel::ParallelVaeDecoder decoder(vae, group, {parse_frames_on(frames_on)});

  // A tiny decode first, so the libraries' one-time allocations (BLAS buffers, thread pools,
  // MPI's shared-memory segments) are not counted as the decode's activations.
  decoder.decode(latents.narrow(2, 0, 1).narrow(3, 0, group.size()).narrow(4, 0, 2));
  // One decode for the memory, then the timed ones.
  const bool reset = bench::reset_peak_rss();
  const int64_t rss_before = bench::current_rss_bytes();
  decoder.decode(latents);
  const double activation_mib =
      reset ? (bench::peak_rss_bytes() - rss_before) / (1024.0 * 1024.0) : -1.0;
  const double cache_mib = decoder.cache_bytes() / (1024.0 * 1024.0);
  const double max_activation = max_over_ranks(activation_mib);
  const double max_cache = max_over_ranks(cache_mib);

  const double seconds = bench::median_seconds(
      [&] {
        MPI_Barrier(MPI_COMM_WORLD);
        decoder.decode(latents);
      },
      values["repeats"].as<int>(), 0);
  const double max_seconds = max_over_ranks(seconds);

  if (mpi.world_rank() == 0) {
    std::printf(
        "{\"bench\":\"parallel_vae\",\"ranks\":%d,\"threads\":%d,\"dim\":%lld,\"frames\":%lld,"
        "\"height\":%lld,\"width\":%lld,\"frames_on\":\"%s\",\"decode_s\":%.3f,"
        "\"peak_activation_mib\":%.1f,\"cache_mib\":%.2f,\"blas\":\"%s\"}\n",
        mpi.world_size(), values["threads"].as<int>(), static_cast<long long>(config.dim),
        static_cast<long long>(frames), static_cast<long long>(values["height"].as<int64_t>()),
        static_cast<long long>(values["width"].as<int64_t>()), frames_on.c_str(), max_seconds,
        max_activation, max_cache, bench::describe_blas().c_str());
  }
  return 0;
}
