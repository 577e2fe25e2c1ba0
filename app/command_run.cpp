// motionfarm run: render every asset of a job manifest on the MPI world (coordinator/farm_run.h).
// Exit codes: 0 every asset rendered, 4 the batch finished with failed assets, 75 stopped by a
// signal (rerun to resume), 3 a manifest or state folder that cannot run (docs/exit-codes.md).
#include <mpi.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/farm_run.h"
#include "core/check.h"
#include "core/exit_codes.h"
#include "parallel/mpi_comm.h"
#include "parallel/mpi_runtime.h"
#include "rank/stop_request.h"
#include "slurm/rank_startup.h"

namespace motionfarm::app {

namespace po = boost::program_options;

int run_run_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm run JOB.yaml [options]: render every asset of the job on the MPI world (or in "
      "this process), resuming from the job's state folder when rerun (docs/farm.md)");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("manifest", po::value<std::string>()->required(), "the job manifest (YAML)")
      ("state-dir", po::value<std::string>(),
       "ledger, logs and segment latents (default: <job>.motionfarm-state beside the output root)")
      ("output-root", po::value<std::string>(), "where deliverables go (overrides output.root)")
      ("layout", po::value<std::string>(),
       "auto, or cfg=C,tp=T,ulysses=U,ring=R (overrides parallel.layout)")
      ("force", po::bool_switch(), "redo finished work whose manifest settings changed")
      ("progress-interval", po::value<double>()->default_value(30.0),
       "seconds between progress log lines when stderr is not a terminal")
      ("checkpoint-every", po::value<int64_t>()->default_value(0),
       "write a segment's sampling state every N steps (0: chosen so writing costs <= 1% of "
       "sampling; a stop always writes one)");
  // clang-format on
  po::positional_options_description positional;
  positional.add("manifest", 1);
  po::variables_map values;
  if (!parse_subcommand_options("run", args, options, positional, values)) return kExitSuccess;
  // Before MPI and the model start: Slurm's notice can come at any moment, and SIGUSR1's default
  // action would end the rank instead of checkpointing it.
  rank::install_stop_signal_handlers();

  if (const char* threads = std::getenv("MOTIONFARM_TORCH_THREADS")) {
    if (std::atoi(threads) > 0) at::set_num_threads(std::atoi(threads));
  }
  coordinator::FarmRunOptions run;
  run.manifest = values["manifest"].as<std::string>();
  if (values.count("state-dir")) run.state_dir = values["state-dir"].as<std::string>();
  if (values.count("output-root")) run.output_root = values["output-root"].as<std::string>();
  if (values.count("layout")) run.layout = values["layout"].as<std::string>();
  run.force = values["force"].as<bool>();
  run.progress_interval_s = values["progress-interval"].as<double>();
  run.checkpoint_every = values["checkpoint-every"].as<int64_t>();
  MF_CHECK(run.checkpoint_every >= 0, ConfigError, "--checkpoint-every must be 0 or more");

  // The coordinator thread on rank 0 talks MPI while the main thread renders.
  parallel::MpiRuntime mpi(nullptr, nullptr, MPI_THREAD_MULTIPLE);
  const slurm::RankStartup startup = slurm::start_rank(parallel::MpiComm::world());
  run.launch = startup.launch;
  // A CPU-only LibTorch cannot use the GPU the rank was bound to: it renders on the CPU.
  if (at::hasCUDA()) run.gpu_device = startup.placement.gpu.device;
  return coordinator::run_farm(run);
}

}  // namespace motionfarm::app
