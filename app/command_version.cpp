#include <boost/program_options.hpp>
#include <iostream>

#include "app/command.h"
#include "app/options.h"
#include "core/build_info.h"
#include "core/exit_codes.h"
#include "parallel/gpu_runtime.h"
#include "parallel/mpi_runtime.h"

namespace motionfarm::app {

namespace {
std::string format_cuda_version(int version) {
  if (version == 0) return "none";
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}
std::string format_nccl_version(int version) {
  if (version == 0) return "none";
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
         std::to_string(version % 100);
}
}  // namespace

int run_version_command(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("motionfarm version: print versions of the build and runtime");
  options.add_options()("help,h", "show this help");
  po::variables_map values;
  if (!parse_subcommand_options("version", args, options, {}, values)) return kExitSuccess;

  const core::BuildInfo& build = core::build_info();
  const parallel::GpuRuntimeInfo gpu = parallel::probe_gpu_runtime();
  std::cout << "motionfarm " << build.version << " (commit " << build.git_commit << ")\n"
            << "LibTorch   " << build.torch_version
            << (build.torch_has_cuda ? " (with CUDA)" : " (CPU only)") << "\n"
            << "MPI        " << parallel::MpiRuntime::library_version() << "\n"
            << "CUDA       " << (gpu.cuda_compiled ? "compiled, runtime " : "not compiled")
            << (gpu.cuda_compiled ? format_cuda_version(gpu.cuda_runtime_version) : "")
            << (gpu.cuda_compiled ? ", driver " + format_cuda_version(gpu.cuda_driver_version) : "")
            << "\n"
            << "NCCL       "
            << (gpu.nccl_compiled ? "compiled, " + format_nccl_version(gpu.nccl_version)
                                  : "not compiled")
            << "\n"
            << "GPUs       " << gpu.status << "\n";
  return kExitSuccess;
}

}  // namespace motionfarm::app
