// motionfarm model inspect | verify: look at weights, check modules against reference vectors.
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "app/command.h"
#include "app/options.h"
#include "core/check.h"
#include "core/exit_codes.h"
#include "io/safetensors.h"
#include "model/checkpoint_inspection.h"
#include "model/parameter_specs.h"
#include "model/reference_case.h"
#include "parallel/mpi_runtime.h"
#include "rank/parallel_reference_check.h"
#include "rank/release_inspection.h"

namespace motionfarm::app {

namespace po = boost::program_options;

namespace {

std::string human_count(int64_t count) {
  char text[32];
  if (count >= 1'000'000'000) {
    std::snprintf(text, sizeof(text), "%.2f B", count / 1e9);
  } else if (count >= 1'000'000) {
    std::snprintf(text, sizeof(text), "%.2f M", count / 1e6);
  } else {
    std::snprintf(text, sizeof(text), "%lld", static_cast<long long>(count));
  }
  return text;
}

void print_comparisons(const std::vector<model::OutputComparison>& comparisons) {
  for (const model::OutputComparison& c : comparisons) {
    std::printf("  %-12s max abs %.3e   max rel %.3e   tolerance %.0e   %s\n", c.name.c_str(),
                c.max_abs_error, c.relative_error(), c.tolerance, c.passed() ? "OK" : "FAILED");
  }
}

// `model inspect FOLDER` on a folder laid out as released (rank/release_inspection.h).
int print_release_folder(const rank::ReleaseInspection& report) {
  std::cout << "folder      " << report.folder << "\n"
            << "preset      "
            << (report.preset.empty() ? std::string("none matches")
                                      : report.preset + (report.matched ? ""
                                                                        : " (closest, with "
                                                                          "problems below)"))
            << "\n";
  if (!report.other_matches.empty()) {
    std::cout << "also fits  ";
    for (const std::string& name : report.other_matches) std::cout << " " << name;
    std::cout << "\n";
  }
  for (const rank::ReleaseDiT& dit : report.dits) {
    std::cout << (report.expert_count > 0 ? "expert      " : "dit         ") << dit.name << ": "
              << (dit.folder.empty() ? std::string(".") : dit.folder) << "/, " << dit.shard_count
              << (dit.shard_count == 1 ? " file, " : " shards, ") << dit.tensor_count << " tensors";
    if (dit.parameter_count > 0)
      std::cout << ", " << human_count(dit.parameter_count) << " parameters";
    std::cout << ", config.json " << (dit.config_path.empty() ? "absent" : "present");
    if (!dit.missing_shards.empty()) std::cout << ", " << dit.missing_shards.size() << " missing";
    std::cout << "\n";
  }
  for (const rank::ReleasePart& part : report.parts) {
    std::printf("%-11s %s%s\n", part.role.c_str(), part.path.c_str(),
                part.present ? "" : " (missing)");
  }
  if (report.problems.empty()) {
    std::cout << "problems    none: every file present, every tensor with its shape\n";
  } else {
    std::cout << "problems    " << report.problems.size() << "\n";
    for (const std::string& problem : report.problems) std::cout << "  " << problem << "\n";
  }
  return report.problems.empty() ? kExitSuccess : kExitCheckFailed;
}

int run_inspect(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm model inspect WEIGHTS: which module, layout and architecture a checkpoint "
      "holds\n(WEIGHTS: a .safetensors file, a *.safetensors.index.json, or a folder; a folder "
      "laid out as released\n(config.json, or expert folders such as high_noise_model/) is "
      "matched to a preset with every file it needs)");
  options.add_options()("help,h", "show this help")("weights", po::value<std::string>()->required(),
                                                    "the checkpoint")(
      "preset", po::value<std::string>()->default_value(""),
      "check against this preset instead of the best match");
  po::positional_options_description positional;
  positional.add("weights", 1);
  po::variables_map values;
  if (!parse_subcommand_options("model inspect", args, options, positional, values)) {
    return kExitSuccess;
  }
  const std::string weights = values["weights"].as<std::string>();
  if (rank::looks_like_release_folder(weights)) {
    return print_release_folder(
        rank::inspect_release_folder(weights, values["preset"].as<std::string>()));
  }
  const auto checkpoint = io::SafetensorsCheckpoint::open(weights);
  const model::CheckpointInspection report =
      model::inspect_checkpoint(checkpoint, values["preset"].as<std::string>());

  std::cout << "file        " << report.path << "\n"
            << "module      " << report.module
            << (report.layout.empty() ? "" : " (" + report.layout + " names)") << "\n"
            << "tensors     " << report.tensor_count << ", " << human_count(report.parameter_count)
            << " parameters, " << report.bytes / (1024 * 1024) << " MiB\n"
            << "dtypes     ";
  for (const auto& [dtype, count] : report.dtype_counts) std::cout << " " << dtype << "×" << count;
  std::cout << "\n";
  if (report.dit_config) {
    const model::WanDiTConfig& c = *report.dit_config;
    std::cout << "preset      "
              << (report.matched_preset.empty() ? "none matches (heads guessed as dim/128)"
                                                : report.matched_preset)
              << "\n"
              << "config      model_type " << c.model_type << ", dim " << c.dim << ", ffn "
              << c.ffn_dim << ", heads " << c.num_heads << ", layers " << c.num_layers
              << ", in/out " << c.in_dim << "/" << c.out_dim << ", text_dim " << c.text_dim
              << ", patch " << c.patch_size[0] << "x" << c.patch_size[1] << "x" << c.patch_size[2]
              << "\n";
    if (report.problems.empty()) {
      std::cout << "problems    none: every tensor present with its shape\n";
    } else {
      std::cout << "problems    " << report.problems.size() << "\n";
      for (const std::string& problem : report.problems) std::cout << "  " << problem << "\n";
    }
  }
  return report.problems.empty() ? kExitSuccess : kExitCheckFailed;
}

int run_verify(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm model verify PREFIX: run a reference case (PREFIX.json, PREFIX.safetensors,\n"
      "PREFIX.io.safetensors) and compare every output; exit 0 only within tolerance.\n"
      "With --layout, run under mpirun: the module is split over the ranks");
  options.add_options()("help,h", "show this help")("prefix", po::value<std::string>()->required(),
                                                    "the reference case")(
      "layout", po::value<std::string>()->default_value(""),
      "cfg=C,tp=T,ulysses=U,ring=R (needs C·T·U·R to divide the MPI ranks)")(
      "device", po::value<std::string>()->default_value("cpu"), "cpu, cuda or cuda:N")(
      "dtype", po::value<std::string>()->default_value("fp32"),
      "fp32, bf16, fp16, or production: each module's render dtype on the device "
      "(GPU: DiT and umT5 bf16, CLIP fp16, VAE fp32)")(
      "tolerance", po::value<double>(),
      "max |ours - ref| / max(1, |ref|); default per dtype: fp32 1e-4, bf16 5e-2, fp16 1e-2");
  po::positional_options_description positional;
  positional.add("prefix", 1);
  po::variables_map values;
  if (!parse_subcommand_options("model verify", args, options, positional, values)) {
    return kExitSuccess;
  }
  const std::string prefix = values["prefix"].as<std::string>();
  const std::string layout_text = values["layout"].as<std::string>();
  model::VerifyPlacement placement = model::VerifyPlacement::parse(
      values["device"].as<std::string>(), values["dtype"].as<std::string>());
  if (values.count("tolerance")) placement.tolerance = values["tolerance"].as<double>();
  MF_CHECK(placement.tolerance.value_or(1.0) > 0, ConfigError, "--tolerance must be positive");
  const model::ReferenceCase reference_case = model::load_reference_case(prefix);

  std::vector<model::OutputComparison> comparisons;
  bool print = true;
  if (layout_text.empty()) {
    std::cout << "module " << reference_case.module << " (" << prefix << "), one process, "
              << placement.describe(reference_case.module) << "\n";
    comparisons = model::verify_reference_case(reference_case, placement);
  } else {
    // The split runs are the CPU/MPI check of the parallel code; the GPU path is one process.
    MF_CHECK(placement.device.is_cpu() && placement.dtype == at::kFloat, ConfigError,
             "--layout runs on the CPU in fp32: drop --device/--dtype, or drop --layout");
    parallel::MpiRuntime mpi(nullptr, nullptr, MPI_THREAD_MULTIPLE);
    const parallel::ParallelLayout layout = parallel::ParallelLayout::parse(layout_text);
    print = mpi.world_rank() == 0;
    if (print) {
      std::cout << "module " << reference_case.module << " (" << prefix << "), layout "
                << layout.to_string() << " on " << mpi.world_size() << " ranks\n";
    }
    comparisons =
        rank::verify_reference_case_parallel(reference_case, layout, parallel::MpiComm::world());
  }
  bool passed = true;
  for (const auto& c : comparisons) passed = passed && c.passed();
  if (print) {
    print_comparisons(comparisons);
    std::cout << (passed ? "verified: every output within tolerance\n"
                         : "NOT verified: an output is outside the tolerance\n");
  }
  return passed ? kExitSuccess : kExitCheckFailed;
}

}  // namespace

int run_model_command(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: motionfarm model inspect WEIGHTS [--preset NAME]\n"
      "       motionfarm model verify PREFIX [--layout cfg=C,tp=T,ulysses=U,ring=R]";
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    std::cout << usage << "\n";
    return args.empty() ? kExitUsage : kExitSuccess;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args.front() == "inspect") return run_inspect(rest);
  if (args.front() == "verify") return run_verify(rest);
  throw UsageError("motionfarm model: unknown action '" + args.front() +
                   "'; valid actions: inspect, verify\n" + usage);
}

}  // namespace motionfarm::app
