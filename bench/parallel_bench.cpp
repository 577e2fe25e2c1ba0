// Parallel DiT benchmark, run under mpirun: one forward of a mid-size Wan DiT split with a layout.
// Prints one JSON line (rank 0) with the forward's median wall time, the bytes each rank sent per
// DiT layer as counted by the communicators against the layout's theoretical minimum, and the peak
// RSS growth of the forward per rank. scripts/bench runs it for several layouts and thread counts
// and computes the side-by-side ratios (docs/benchmarks.md).
//
//   mpirun -np 2 bench_parallel --layout ulysses=2 --threads 1
//   mpirun -np 1 bench_parallel --layout "" --threads 2
#include <ATen/Parallel.h>
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "bench/bench_support.h"
#include "model/seeded_noise.h"
#include "model/wan_dit.h"
#include "parallel/mpi_communicator.h"
#include "parallel/mpi_runtime.h"
#include "parallel/parallel_wan_dit.h"
#include "parallel/topology.h"

namespace {

using namespace motionfarm;

model::WanDiTConfig bench_config(int64_t layers) {
  model::WanDiTConfig config;
  config.model_type = "t2v";
  config.dim = 512;
  config.ffn_dim = 1536;
  config.num_heads = 8;
  config.num_layers = layers;
  config.text_dim = 128;
  config.text_len = 64;
  config.in_dim = 16;
  config.out_dim = 16;
  config.validate();
  return config;
}

// Bytes a rank must send per layer for this layout (see docs/benchmarks.md for the derivation):
// Ulysses 4 all-to-alls of the (N/U)·h_tp local tokens, (U−1)/U of which leave the rank; ring
// (R−1) K+V blocks; tensor parallel 3 bandwidth-optimal all-reduces of N_local·dim plus the q/k
// norm statistics (4 values per token, the text keys' per text token).
double theoretical_bytes_per_layer(const parallel::ParallelLayout& layout, int64_t tokens,
                                   const model::WanDiTConfig& config) {
  const double u = layout.ulysses, r = layout.ring, t = layout.tp;
  const double sp = u * r;
  const double padded = std::ceil(tokens / sp) * sp;
  const double local_tokens = padded / sp;
  const double width = config.dim / t;  // q/k/v/o width this rank holds
  double elements = 0;
  if (u > 1) elements += 4 * local_tokens * width * (u - 1) / u;
  if (r > 1) elements += 2 * (local_tokens * u) * (width / u) * (r - 1);
  if (t > 1) {
    elements += 3 * local_tokens * config.dim * 2 * (t - 1) / t;
    elements += (3 * local_tokens + config.text_len) * 2 * (t - 1) / t;
  }
  return elements * sizeof(float);
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  parallel::MpiRuntime mpi(&argc, &argv, MPI_THREAD_MULTIPLE);
  po::options_description options("bench_parallel");
  options.add_options()("layout", po::value<std::string>()->default_value(""),
                        "cfg=,tp=,ulysses=,ring=")("threads", po::value<int>()->default_value(1),
                                                   "torch threads per rank")(
      "frames", po::value<int64_t>()->default_value(5), "latent frames")(
      "height", po::value<int64_t>()->default_value(32), "latent rows")(
      "width", po::value<int64_t>()->default_value(40), "latent columns")(
      "layers", po::value<int64_t>()->default_value(2), "DiT blocks")(
      "repeats", po::value<int>()->default_value(3), "timed forwards");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, options), values);
  at::set_num_threads(values["threads"].as<int>());

  const model::WanDiTConfig config = bench_config(values["layers"].as<int64_t>());
  const model::WanDiT dit(config, model::WanDiTWeights::random(config, 1));
  const parallel::ParallelLayout layout =
      parallel::ParallelLayout::parse(values["layout"].as<std::string>());
  const parallel::Topology topology =
      parallel::Topology::create(parallel::MpiComm::world(), layout);
  parallel::MpiCommunicator tp(topology.tp_comm()), ulysses(topology.ulysses_comm()),
      ring(topology.ring_comm()), sequence(topology.sequence_comm());
  const parallel::ParallelWanDiT parallel_dit(dit, {&tp, &ulysses, &ring, &sequence});

  model::DiTInputs inputs;
  const int64_t f = values["frames"].as<int64_t>(), h = values["height"].as<int64_t>(),
                w = values["width"].as<int64_t>();
  inputs.x = model::seeded_normal({1, "bench", 0}, {1, 16, f, h, w});
  inputs.t = at::full({1}, 500.0);
  inputs.context = model::seeded_normal({1, "bench-text", 0}, {1, 40, config.text_dim});
  const int64_t tokens = f * (h / 2) * (w / 2);

  // One forward for the traffic and the memory, then the timed ones.
  for (parallel::Communicator* comm :
       std::initializer_list<parallel::Communicator*>{&tp, &ulysses, &ring}) {
    comm->reset_stats();
  }
  const bool reset = bench::reset_peak_rss();
  const int64_t rss_before = bench::current_rss_bytes();
  parallel_dit.forward(inputs);
  const double activation_mib =
      reset ? (bench::peak_rss_bytes() - rss_before) / (1024.0 * 1024.0) : -1.0;
  double sent = static_cast<double>(tp.stats().bytes_sent + ulysses.stats().bytes_sent +
                                    ring.stats().bytes_sent) /
                static_cast<double>(config.num_layers);
  double max_sent = sent;
  double max_activation = activation_mib;
  MPI_Allreduce(&sent, &max_sent, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&activation_mib, &max_activation, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

  const double seconds = bench::median_seconds(
      [&] {
        MPI_Barrier(MPI_COMM_WORLD);
        parallel_dit.forward(inputs);
      },
      values["repeats"].as<int>(), 0);
  double max_seconds = seconds;
  MPI_Allreduce(&seconds, &max_seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

  if (mpi.world_rank() == 0) {
    const double theory = theoretical_bytes_per_layer(layout, tokens, config);
    std::printf(
        "{\"layout\":\"%s\",\"ranks\":%d,\"threads\":%d,\"tokens\":%lld,\"forward_s\":%.4f,"
        "\"bytes_per_layer\":%.0f,\"theoretical_bytes_per_layer\":%.0f,\"ratio\":%.3f,"
        "\"peak_activation_mib\":%.1f,\"blas\":\"%s\"}\n",
        layout.to_string().c_str(), mpi.world_size(), values["threads"].as<int>(),
        static_cast<long long>(tokens), max_seconds, max_sent, theory,
        theory > 0 ? max_sent / theory : 0.0, max_activation, bench::describe_blas().c_str());
  }
  return 0;
}
