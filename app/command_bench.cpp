// `motionfarm bench calibrate`: measure the DiT forward on this machine and write the GPU table
// entry the capacity planner uses (coordinator/plan_calibration.h, docs/planning.md).
#include <torch/cuda.h>
#include <boost/program_options.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/plan_calibration.h"
#include "coordinator/plan_gpu_table.h"
#include "core/check.h"
#include "core/config_paths.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace po = boost::program_options;

namespace {

int run_calibrate(const std::vector<std::string>& args) {
  const bool gpu = torch::cuda::is_available();
  po::options_description options(
      "motionfarm bench calibrate --gpu KIND: time a Wan DiT forward here and write the measured\n"
      "efficiency (sustained FLOP/s ÷ the kind's bf16 peak) into the planner's GPU table");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("gpu", po::value<std::string>()->required(), "the table's kind this machine is (H100, CPU, ...)")
      ("preset", po::value<std::string>()->default_value("wan2.1-t2v-1.3b"),
       "the DiT architecture to time (random weights)")
      ("latent", po::value<std::string>()->default_value(gpu ? "21,60,104" : "3,16,16"),
       "latent frames,rows,columns of the forward (21,60,104: 480p, 81 frames)")
      ("device", po::value<std::string>()->default_value(gpu ? "cuda" : "cpu"), "cpu or cuda")
      ("repeats", po::value<int>()->default_value(3), "timed forwards (after one warm-up)")
      ("table", po::value<std::string>(), "the table to rewrite (default: configs/gpus.yaml)")
      ("dry-run", po::bool_switch(), "measure and print, write nothing");
  // clang-format on
  po::variables_map values;
  if (!parse_subcommand_options("bench calibrate", args, options,
                                po::positional_options_description(), values)) {
    return kExitSuccess;
  }
  coordinator::CalibrationOptions calibration;
  calibration.preset = values["preset"].as<std::string>();
  calibration.device = at::Device(values["device"].as<std::string>());
  calibration.dtype = calibration.device.is_cuda() ? at::kBFloat16 : at::kFloat;
  calibration.repeats = values["repeats"].as<int>();
  char comma1 = 0, comma2 = 0;
  std::istringstream latent(values["latent"].as<std::string>());
  latent >> calibration.latent_frames >> comma1 >> calibration.latent_height >> comma2 >>
      calibration.latent_width;
  MF_CHECK(latent && comma1 == ',' && comma2 == ',' && calibration.latent_frames > 0 &&
               calibration.latent_height > 0 && calibration.latent_width > 0,
           ConfigError,
           "--latent must be three positive integers F,H,W, got '"
               << values["latent"].as<std::string>() << "'");

  const std::string table_path = values.count("table") ? values["table"].as<std::string>()
                                                       : core::find_config_file("gpus.yaml");
  const coordinator::GpuTable table = coordinator::load_gpu_table(table_path);
  const coordinator::GpuSpec& spec = table.at(values["gpu"].as<std::string>());

  const coordinator::CalibrationResult result = coordinator::calibrate_dit_forward(calibration);
  const double efficiency = result.sustained_flops() / (spec.bf16_tflops * 1e12);
  std::printf(
      "%s forward, %lld tokens on %s: %.3f s, %.3f TFLOP/s sustained (planner's FLOP count)\n"
      "%s: peak %.0f TFLOP/s, efficiency %.3f (was %.3f)\n",
      calibration.preset.c_str(), static_cast<long long>(result.tokens),
      calibration.device.str().c_str(), result.seconds, result.sustained_flops() / 1e12,
      spec.name.c_str(), spec.bf16_tflops, efficiency, spec.efficiency);
  MF_CHECK(efficiency <= 1.0, ConfigError,
           "measured " << result.sustained_flops() / 1e12 << " TFLOP/s, above " << spec.name
                       << "'s peak of " << spec.bf16_tflops
                       << " TFLOP/s: is --gpu the kind this machine is?");
  if (values["dry-run"].as<bool>()) return kExitSuccess;

  std::ifstream in(table_path);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string updated = coordinator::with_gpu_efficiency(text, spec.name, efficiency);
  const std::string temporary = table_path + ".tmp";
  {
    std::ofstream out(temporary);
    out << updated;
    MF_CHECK(out.good(), InputError, "cannot write " << temporary);
  }
  MF_CHECK(std::rename(temporary.c_str(), table_path.c_str()) == 0, InputError,
           "cannot replace " << table_path);
  std::cout << "wrote " << table_path << "\n";
  return kExitSuccess;
}

}  // namespace

int run_bench_command(const std::vector<std::string>& args) {
  const std::string usage = "usage: motionfarm bench calibrate --gpu KIND [options]";
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    std::cout << usage
              << "\n  calibrate   time a DiT forward here and write the planner's GPU table\n";
    return args.empty() ? kExitUsage : kExitSuccess;
  }
  if (args.front() == "calibrate") return run_calibrate({args.begin() + 1, args.end()});
  std::cerr << "motionfarm bench: unknown subcommand '" << args.front() << "'\n" << usage << "\n";
  return kExitUsage;
}

}  // namespace motionfarm::app
