// `motionfarm validate JOB.yaml [--ranks N] [--assets]`: reads the manifest as `run` would and
// prints every problem as file:line:col: message. Exit 0 only when the job can run, 3 otherwise.
// Needs no MPI, GPU or weights loaded: it runs on a login node before sbatch.
#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/manifest_reader.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace {

void print_assets(const coordinator::Job& job) {
  std::cout << std::left << std::setw(24) << "asset" << std::setw(11) << "size" << std::setw(8)
            << "frames" << std::setw(6) << "fps" << std::setw(10) << "segments"
            << "seed\n";
  for (const coordinator::AssetSpec& asset : job.assets) {
    std::cout << std::left << std::setw(24) << asset.id << std::setw(11)
              << (std::to_string(asset.width) + "x" + std::to_string(asset.height)) << std::setw(8)
              << asset.total_frames << std::setw(6) << asset.fps << std::setw(10)
              << asset.segments.size() << asset.seed << (asset.seed_derived ? " (derived)" : "")
              << "\n";
  }
}

}  // namespace

int run_validate_command(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options(
      "motionfarm validate JOB.yaml: check a job manifest and report every problem at once\n"
      "(file:line:col: message). Exit 0 when the job can run, 3 when it cannot");
  options.add_options()("help,h", "show this help")(
      "manifest", po::value<std::string>()->required(), "the job manifest (YAML)")(
      "ranks", po::value<int>()->default_value(0),
      "the number of ranks the job will run on: checks the layout divides it")(
      "assets", "list every asset as resolved (size, frames, segments, seed)");
  po::positional_options_description positional;
  positional.add("manifest", 1);
  po::variables_map values;
  if (!parse_subcommand_options("validate", args, options, positional, values)) {
    return kExitSuccess;
  }
  const int ranks = values["ranks"].as<int>();
  if (ranks < 0)
    throw UsageError("motionfarm validate: --ranks must be positive, got " + std::to_string(ranks));

  const std::string path = values["manifest"].as<std::string>();
  coordinator::ManifestOptions manifest_options;
  manifest_options.world_size = ranks;
  const coordinator::ManifestReport report = coordinator::read_manifest(path, manifest_options);
  for (const coordinator::Diagnostic& diagnostic : report.diagnostics) {
    std::cerr << diagnostic.to_string() << "\n";
  }
  if (!report.can_run()) {
    std::cerr << path << ": " << report.error_count
              << (report.error_count == 1 ? " problem" : " problems")
              << "; the job cannot run until they are fixed\n";
    return kExitBadInput;
  }
  const coordinator::Job& job = report.job;
  int64_t segments = 0;
  int64_t frames = 0;
  for (const coordinator::AssetSpec& asset : job.assets) {
    segments += static_cast<int64_t>(asset.segments.size());
    frames += asset.total_frames;
  }
  if (values.count("assets")) print_assets(job);
  std::cout << path << ": OK: job '" << job.name << "', " << job.assets.size()
            << (job.assets.size() == 1 ? " asset" : " assets") << " (" << segments << " segments, "
            << frames << " frames), model " << job.model.preset << ", layout "
            << (job.layout ? job.layout->to_string() : std::string("auto")) << ", output "
            << job.output.root << "\n";
  return kExitSuccess;
}

}  // namespace motionfarm::app
