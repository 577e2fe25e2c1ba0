// `motionfarm plan JOB.yaml --nodes N --gpus-per-node G --gpu KIND [--hours H] [--layout L]`:
// predicts the job's makespan on that cluster by replaying the real scheduler with a cost model
// (docs/planning.md). Runs on a login node: no MPI, no GPU, no weights; images need not exist.
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/manifest_reader.h"
#include "coordinator/plan_gpu_table.h"
#include "coordinator/plan_job.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace po = boost::program_options;

int run_plan_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm plan JOB.yaml --nodes N --gpus-per-node G --gpu KIND [--hours H] [--layout L]:\n"
      "simulate the job on a cluster with the farm's scheduler and a cost model; print the\n"
      "makespan, GPU-hours, utilisation, the layout per asset class and whether it fits");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("manifest", po::value<std::string>()->required(), "the job manifest (YAML)")
      ("nodes", po::value<int>()->required(), "nodes to book")
      ("gpus-per-node", po::value<int>()->default_value(8), "GPUs per node")
      ("gpu", po::value<std::string>()->default_value("H100"),
       "GPU kind, a key of configs/gpus.yaml (H100, H200, A100, L40S, CPU)")
      ("hours", po::value<double>()->default_value(0.0), "the booking: report whether it fits")
      ("layout", po::value<std::string>(),
       "every group's layout (cfg=C,tp=T,ulysses=U,ring=R) or auto; default: the manifest's")
      ("gpu-table", po::value<std::string>(), "a GPU table to use instead of configs/gpus.yaml");
  // clang-format on
  po::positional_options_description positional;
  positional.add("manifest", 1);
  po::variables_map values;
  if (!parse_subcommand_options("plan", args, options, positional, values)) return kExitSuccess;

  const auto start = std::chrono::steady_clock::now();
  coordinator::PlanRequest request;
  request.nodes = values["nodes"].as<int>();
  request.gpus_per_node = values["gpus-per-node"].as<int>();
  request.gpu = values["gpu"].as<std::string>();
  request.hours = values["hours"].as<double>();
  if (values.count("layout")) {
    const std::string layout = values["layout"].as<std::string>();
    if (layout == "auto") {
      request.force_auto = true;
    } else {
      request.layout = parallel::ParallelLayout::parse(layout);
    }
  }
  const coordinator::GpuTable table =
      values.count("gpu-table") ? coordinator::load_gpu_table(values["gpu-table"].as<std::string>())
                                : coordinator::load_default_gpu_table();

  // Planning happens before the images are staged and the weights copied: check neither.
  coordinator::ManifestOptions manifest_options;
  manifest_options.check_images = false;
  manifest_options.check_weights = false;
  const coordinator::Job job =
      coordinator::load_job(values["manifest"].as<std::string>(), manifest_options);
  const coordinator::PlanResult plan = coordinator::plan_job(job, table, request);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << coordinator::format_plan(plan);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  char line[128];
  // ru_maxrss is in KiB on Linux: the planner holds the whole job as the coordinator would.
  std::snprintf(line, sizeof(line), "\nplanned in %.2f s, peak memory %.0f MiB\n", elapsed,
                static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::cout << line;
  // Not fitting the booking is a failed check (exit 6), so a script can act on it.
  return plan.fits() ? kExitSuccess : kExitCheckFailed;
}

}  // namespace motionfarm::app
