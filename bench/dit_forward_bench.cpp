// DiT forward throughput next to the machine's plain matmul throughput, in one run.
//
//   bench_dit [--threads N] [--repeats R] [--device cpu|cuda] [--dtype fp32|bf16]
//
// Prints the BLAS library the process loaded, a square matmul's FLOP/s (2048^2 on the CPU, 8192^2
// on a GPU, in the compute dtype), and the DiT forward's FLOP/s (matmul and attention FLOPs counted
// analytically) for the tiny preset and a mid-size config -- on a GPU also the real Wan2.1 1.3B at
// 480p, 81 frames -- each as a ratio to the matmul: how much of the GEMM speed the model reaches.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

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
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
};

// Hand-parsed: this benchmark is also built in the model-only configuration (no Boost), for GPU
// machines that carry LibTorch but not the farm's other dependencies.
Options parse(int argc, char** argv) {
  const std::string usage =
      "usage: bench_dit [--threads N] [--repeats R] [--device cpu|cuda] [--dtype fp32|bf16]";
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(usage);
    const std::string value = argv[++i];
    if (arg == "--threads" || arg == "--repeats") {
      const int number = std::atoi(value.c_str());
      if (number < 1) throw std::runtime_error(arg + " needs a positive integer");
      (arg == "--threads" ? options.threads : options.repeats) = number;
    } else if (arg == "--device") {
      options.device = at::Device(value);
    } else if (arg == "--dtype" && (value == "fp32" || value == "bf16")) {
      options.dtype = value == "bf16" ? at::kBFloat16 : at::kFloat;
    } else {
      throw std::runtime_error(usage);
    }
  }
  return options;
}

// Median wall time of `repeats` runs after one warm-up, in seconds; GPU work is waited for.
double timed_seconds(const Options& options, const std::function<void()>& run) {
  return motionfarm::bench::median_seconds(
      [&] {
        run();
        if (options.device.is_cuda()) torch::cuda::synchronize();
      },
      options.repeats, /*warmup=*/1);
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
                 int64_t height, int64_t width, const Options& options, double matmul_flops_per_s) {
  const WanDiT model(config, WanDiTWeights::random(config, 1, {options.device, options.dtype}));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(2);
  DiTInputs inputs;
  inputs.x = at::randn({1, config.in_dim, frames, height, width}, generator, at::kFloat)
                 .to(options.device);
  inputs.t = at::full({1}, 500.0).to(options.device);
  inputs.context =
      at::randn({1, config.text_len, config.text_dim}, generator, at::kFloat).to(options.device);
  const double tokens =
      static_cast<double>(frames / config.patch_size[0] * (height / config.patch_size[1]) *
                          (width / config.patch_size[2]));
  const double seconds = timed_seconds(options, [&] { model.forward(inputs); });
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

    const int64_t n = options.device.is_cuda() ? 8192 : 2048;
    const auto tensor_options = at::TensorOptions().device(options.device).dtype(options.dtype);
    const at::Tensor a = at::randn({n, n}, tensor_options), b = at::randn({n, n}, tensor_options);
    const double matmul_seconds = timed_seconds(options, [&] { at::mm(a, b); });
    const double matmul_flops = 2.0 * n * n * n / matmul_seconds;

    const std::string dtype_name = options.dtype == at::kBFloat16 ? "bf16" : "fp32";
    std::cout << "device " << options.device << ", compute dtype " << dtype_name
              << ", torch threads: " << at::get_num_threads() << "\n";
    std::cout << motionfarm::bench::describe_blas() << "\n";
    const std::string matmul_label =
        "matmul " + std::to_string(n) + "x" + std::to_string(n) + " " + dtype_name;
    std::cout << std::left << std::setw(44) << matmul_label << std::right << std::fixed
              << std::setprecision(1) << std::setw(9) << matmul_seconds * 1e3 << " ms "
              << std::setw(8) << matmul_flops / 1e9 << " GFLOP/s\n";

    const WanDiTConfig tiny = motionfarm::model::load_dit_preset("tiny-t2v");
    bench_model("dit tiny-t2v, 960 tokens", tiny, 5, 24, 32, options, matmul_flops);

    WanDiTConfig mid = motionfarm::model::load_dit_preset("wan2.1-t2v-1.3b");
    mid.dim = 1024;
    mid.ffn_dim = 4096;
    mid.num_heads = 16;
    mid.num_layers = 4;
    mid.description = "benchmark mid-size";
    bench_model("dit dim 1024, 16 heads, 4 layers, 1536 tokens", mid, 4, 32, 48, options,
                matmul_flops);
    if (options.device.is_cuda()) {
      // The real 1.3B at 480p (832x480, 81 frames): 21 x 60 x 104 latents, 32760 tokens.
      const WanDiTConfig full = motionfarm::model::load_dit_preset("wan2.1-t2v-1.3b");
      bench_model("dit wan2.1-t2v-1.3b, 480p 81 frames", full, 21, 60, 104, options, matmul_flops);
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_dit: " << error.what() << "\n";
    return 1;
  }
}
