// DiT forward throughput next to the machine's plain matmul throughput, in one run.
//
//   bench_dit [--threads N] [--repeats R]
//
// Prints the BLAS library the process loaded, a 2048^2 fp32 matmul's FLOP/s, and the DiT forward's
// FLOP/s (matmul and attention FLOPs counted analytically) for the tiny preset and a mid-size
// config, each as a ratio to the matmul: how much of the machine's GEMM speed the model reaches.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <string>

#include "bench/bench_support.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"
#include "model/wan_dit_weights.h"

namespace {

using motionfarm::model::DiTInputs;
using motionfarm::model::WanDiT;
using motionfarm::model::WanDiTConfig;
using motionfarm::model::WanDiTWeights;

struct Options {
  int threads = 1;
  int repeats = 3;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--threads" || arg == "--repeats") && i + 1 < argc) {
      const int value = std::atoi(argv[++i]);
      if (value < 1) throw std::runtime_error(arg + " needs a positive integer");
      (arg == "--threads" ? options.threads : options.repeats) = value;
    } else {
      throw std::runtime_error("usage: bench_dit [--threads N] [--repeats R]");
    }
  }
  return options;
}

// Median wall time of `repeats` runs after one warm-up, in seconds.
double timed_seconds(int repeats, const std::function<void()>& run) {
  return motionfarm::bench::median_seconds(run, repeats, /*warmup=*/1);
}

// Matmul + attention FLOPs of one forward for a batch of one with `tokens` latent tokens.
double forward_flops(const WanDiTConfig& c, double tokens) {
  const double d = static_cast<double>(c.dim), text = static_cast<double>(c.text_len);
  const double image = c.has_image_branch() ? 257.0 : 0.0;
  const double pv = static_cast<double>(c.patch_volume());
  double flops = 2 * tokens * d * c.in_dim * pv;                        // patch embedding
  flops += 2 * text * (c.text_dim * d + d * d);                         // text embedding
  flops += 2 * (c.freq_dim * d + d * d + 6 * d * d);                    // time embedding, once
  double block = 4 * 2 * tokens * d * d + 2 * 2 * tokens * tokens * d;  // self-attention
  block += 2 * 2 * tokens * d * d + 2 * 2 * (text + image) * d * d;     // cross q, o, k, v
  block += 2 * 2 * tokens * (text + image) * d;                         // cross attention
  block += 2 * 2 * tokens * d * c.ffn_dim;                              // FFN
  flops += c.num_layers * block;
  flops += 2 * tokens * d * pv * c.out_dim;  // head
  if (c.has_image_branch()) flops += 2 * 257.0 * (1280.0 * 1280.0 + 1280.0 * d);
  return flops;
}

void bench_model(const std::string& label, const WanDiTConfig& config, int64_t frames,
                 int64_t height, int64_t width, int repeats, double matmul_flops_per_s) {
  const WanDiT model(config, WanDiTWeights::random(config, 1));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(2);
  DiTInputs inputs;
  inputs.x = at::randn({1, config.in_dim, frames, height, width}, generator, at::kFloat);
  inputs.t = at::full({1}, 500.0);
  inputs.context = at::randn({1, config.text_len, config.text_dim}, generator, at::kFloat);
  const double tokens =
      static_cast<double>(frames / config.patch_size[0] * (height / config.patch_size[1]) *
                          (width / config.patch_size[2]));
  const double seconds = timed_seconds(repeats, [&] { model.forward(inputs); });
  const double flops = forward_flops(config, tokens);
  std::cout << std::left << std::setw(44) << label << std::right << std::fixed
            << std::setprecision(1) << std::setw(9) << seconds * 1e3 << " ms " << std::setw(8)
            << flops / seconds / 1e9 << " GFLOP/s  ratio to matmul " << std::setprecision(2)
            << flops / seconds / matmul_flops_per_s << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    at::set_num_threads(options.threads);
    c10::InferenceMode inference;

    const int64_t n = 2048;
    const at::Tensor a = at::randn({n, n}), b = at::randn({n, n});
    const double matmul_seconds = timed_seconds(options.repeats, [&] { at::mm(a, b); });
    const double matmul_flops = 2.0 * n * n * n / matmul_seconds;

    std::cout << "torch threads: " << at::get_num_threads() << "\n";
    std::cout << motionfarm::bench::describe_blas() << "\n";
    std::cout << std::left << std::setw(44) << "matmul 2048x2048 fp32" << std::right << std::fixed
              << std::setprecision(1) << std::setw(9) << matmul_seconds * 1e3 << " ms "
              << std::setw(8) << matmul_flops / 1e9 << " GFLOP/s\n";

    const WanDiTConfig tiny = motionfarm::model::load_dit_preset("tiny-t2v");
    bench_model("dit tiny-t2v, 960 tokens", tiny, 5, 24, 32, options.repeats, matmul_flops);

    WanDiTConfig mid = motionfarm::model::load_dit_preset("wan2.1-t2v-1.3b");
    mid.dim = 1024;
    mid.ffn_dim = 4096;
    mid.num_heads = 16;
    mid.num_layers = 4;
    mid.description = "benchmark mid-size";
    bench_model("dit dim 1024, 16 heads, 4 layers, 1536 tokens", mid, 4, 32, 48, options.repeats,
                matmul_flops);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_dit: " << error.what() << "\n";
    return 1;
  }
}
