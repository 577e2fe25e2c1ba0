// motionfarm submit JOB.yaml --nodes N --gpus-per-node G: checks the manifest as `validate` does,
// writes a batch script into the job's state folder (STATE_DIR/slurm/job.sbatch, from
// slurm/templates/motionfarm.sbatch) and hands it to sbatch unless --dry-run. Runs on a login
// node: no MPI, no GPU. slurm/README.md is the guide.
#include <sys/wait.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/farm_run.h"
#include "coordinator/manifest_reader.h"
#include "core/error.h"
#include "core/exit_codes.h"
#include "parallel/parallel_layout.h"
#include "slurm/sbatch_script.h"
#include "slurm/srun_mpi.h"

namespace motionfarm::app {

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

struct Captured {
  int exit_code = -1;  // -1: the shell could not be started
  std::string output;  // stdout and stderr
};

Captured capture(const std::string& command) {
  Captured result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// The srun --mpi plugin: as given, or pmix/pmi2 from this node's `srun --mpi=list`.
std::string mpi_plugin(const std::string& requested, bool dry_run) {
  if (requested != "auto") return requested;
  const Captured list = capture("srun --mpi=list");
  if (list.exit_code == 0) return slurm::choose_mpi_plugin(list.output);
  // A dry run away from the cluster (no srun: 127; no Slurm configuration) still shows the script.
  if (dry_run) {
    std::cerr << "motionfarm submit: "
              << (list.exit_code == 127
                      ? std::string("srun not found here")
                      : "`srun --mpi=list` failed (exit " + std::to_string(list.exit_code) + ")")
              << "; the script assumes --mpi=pmix (pass --mpi to choose)\n";
    return "pmix";
  }
  throw ConfigError("`srun --mpi=list` failed (exit " + std::to_string(list.exit_code) + "):\n" +
                    list.output +
                    "submit from a node with Slurm's client commands, or pass --mpi pmix|pmi2");
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--template " + path + ": cannot read it");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string absolute(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}

// Checks the manifest as `validate --ranks` would; prints every problem. Returns the job when it
// can run.
std::optional<coordinator::Job> checked_job(const std::string& manifest, int ranks,
                                            const std::string& layout) {
  coordinator::ManifestOptions manifest_options;
  manifest_options.world_size = ranks;
  const coordinator::ManifestReport report = coordinator::read_manifest(manifest, manifest_options);
  for (const coordinator::Diagnostic& diagnostic : report.diagnostics) {
    std::cerr << diagnostic.to_string() << "\n";
  }
  if (!report.can_run()) {
    std::cerr << manifest << ": " << report.error_count
              << (report.error_count == 1 ? " problem" : " problems")
              << "; nothing was submitted\n";
    return std::nullopt;
  }
  if (!layout.empty() && layout != "auto") {
    const coordinator::ModelFacts& facts = report.job.model.facts;
    parallel::validate_layout(parallel::ParallelLayout::parse(layout),
                              {facts.num_heads, facts.dim, facts.ffn_dim}, ranks);
  }
  return report.job;
}

}  // namespace

int run_submit_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm submit JOB.yaml --nodes N --gpus-per-node G [options]: check the job, write an "
      "sbatch script into its state folder (STATE_DIR/slurm/job.sbatch) and submit it. The job "
      "checkpoints on Slurm's time-limit notice and requeues itself (slurm/README.md)");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("manifest", po::value<std::string>()->required(), "the job manifest (YAML)")
      ("nodes", po::value<int>()->required(), "nodes to run on")
      ("gpus-per-node", po::value<int>()->required(),
       "GPUs per node, one rank each (0: CPU ranks, give --tasks-per-node)")
      ("tasks-per-node", po::value<int>()->default_value(0), "ranks per node (default: one per GPU)")
      ("gpu-binding", po::value<std::string>()->default_value("task"),
       "task: --gpus-per-task=1, each rank sees its own GPU; node: --gpus-per-node, every rank "
       "sees the node's GPUs and takes the one of its node rank (needed for GPU peer access "
       "inside a node)")
      ("cpus-per-task", po::value<int>()->default_value(4), "CPUs (and torch threads) per rank")
      ("partition", po::value<std::string>(), "Slurm partition")
      ("time", po::value<std::string>(), "time limit per run (Slurm format: minutes, H:M:S, D-H:M)")
      ("account", po::value<std::string>(), "Slurm account")
      ("qos", po::value<std::string>(), "Slurm QOS")
      ("signal-grace", po::value<int>()->default_value(300),
       "seconds before the time limit that Slurm's notice comes (--signal=B:USR1@S): at least one "
       "sampling step and a checkpoint write")
      ("mpi", po::value<std::string>()->default_value("auto"),
       "srun --mpi plugin: auto (pmix when `srun --mpi=list` offers it, else pmi2), pmix or pmi2")
      ("sbatch", po::value<std::vector<std::string>>()->composing(),
       "one more sbatch option for the script, e.g. --sbatch=--constraint=a100 (repeatable)")
      ("template", po::value<std::string>(),
       "an edited copy of slurm/templates/motionfarm.sbatch to fill instead of the built-in one")
      ("state-dir", po::value<std::string>(),
       "the job's state folder (default: <job>.motionfarm-state beside the output root, as run)")
      ("output-root", po::value<std::string>(), "passed on to run: where deliverables go")
      ("layout", po::value<std::string>(), "passed on to run: auto, or cfg=C,tp=T,ulysses=U,ring=R")
      ("force", po::bool_switch(), "passed on to run: redo finished work whose settings changed")
      ("dry-run", po::bool_switch(), "write the script and print it; do not submit");
  // clang-format on
  po::positional_options_description positional;
  positional.add("manifest", 1);
  po::variables_map values;
  if (!parse_subcommand_options("submit", args, options, positional, values)) return kExitSuccess;

  slurm::SbatchOptions sbatch;
  sbatch.nodes = values["nodes"].as<int>();
  sbatch.gpus_per_node = values["gpus-per-node"].as<int>();
  sbatch.tasks_per_node = values["tasks-per-node"].as<int>();
  const std::string binding = values["gpu-binding"].as<std::string>();
  if (binding != "task" && binding != "node") {
    throw UsageError("motionfarm submit: --gpu-binding '" + binding + "': use task or node");
  }
  sbatch.gpu_request =
      binding == "task" ? slurm::GpuRequest::kPerTask : slurm::GpuRequest::kPerNode;
  sbatch.cpus_per_task = values["cpus-per-task"].as<int>();
  if (values.count("partition")) sbatch.partition = values["partition"].as<std::string>();
  if (values.count("time")) sbatch.time_limit = values["time"].as<std::string>();
  if (values.count("account")) sbatch.account = values["account"].as<std::string>();
  if (values.count("qos")) sbatch.qos = values["qos"].as<std::string>();
  sbatch.signal_grace_s = values["signal-grace"].as<int>();
  if (values.count("sbatch"))
    sbatch.extra_directives = values["sbatch"].as<std::vector<std::string>>();
  const bool dry_run = values["dry-run"].as<bool>();
  const std::string layout = values.count("layout") ? values["layout"].as<std::string>() : "";

  const std::string manifest = absolute(values["manifest"].as<std::string>());
  const int ranks = sbatch.nodes * sbatch.effective_tasks_per_node();
  std::optional<coordinator::Job> job = checked_job(manifest, ranks, layout);
  if (!job) return kExitBadInput;

  std::string output_root = job->output.root;
  if (values.count("output-root")) {
    output_root = absolute(values["output-root"].as<std::string>());
    sbatch.run_arguments.insert(sbatch.run_arguments.end(), {"--output-root", output_root});
  }
  if (!layout.empty())
    sbatch.run_arguments.insert(sbatch.run_arguments.end(), {"--layout", layout});
  if (values["force"].as<bool>()) sbatch.run_arguments.push_back("--force");
  const std::string state_dir =
      values.count("state-dir") ? absolute(values["state-dir"].as<std::string>())
                                : absolute(coordinator::default_state_dir(output_root, job->name));

  sbatch.job_name = job->name;
  sbatch.manifest = manifest;
  sbatch.state_dir = state_dir;
  sbatch.motionfarm = fs::read_symlink("/proc/self/exe").string();
  sbatch.mpi = values["mpi"].as<std::string>() == "auto" ? "pmix" : values["mpi"].as<std::string>();
  sbatch.validate();  // before asking srun, so a typo in an option is the first thing said
  sbatch.mpi = mpi_plugin(values["mpi"].as<std::string>(), dry_run);
  const std::string template_text = values.count("template")
                                        ? read_text_file(values["template"].as<std::string>())
                                        : slurm::default_sbatch_template();
  const std::string script = slurm::render_sbatch_script(sbatch, template_text);

  const fs::path script_path = fs::path(slurm::slurm_dir(state_dir)) / "job.sbatch";
  fs::create_directories(script_path.parent_path());  // sbatch needs the --output folder to exist
  {
    std::ofstream out(script_path, std::ios::trunc);
    out << script;
    if (!out.flush()) throw InputError(script_path.string() + ": cannot write the batch script");
  }
  fs::permissions(script_path, fs::perms::owner_exec | fs::perms::group_exec,
                  fs::perm_options::add);

  std::cout << "motionfarm submit: job '" << job->name << "', " << ranks
            << (ranks == 1 ? " rank" : " ranks") << " on " << sbatch.nodes
            << (sbatch.nodes == 1 ? " node" : " nodes") << ", srun --mpi=" << sbatch.mpi << "\n"
            << "script: " << script_path.string() << "\n";
  if (dry_run) {
    std::cout << "not submitted (--dry-run); submit with: sbatch " << script_path.string() << "\n\n"
              << script;
    return kExitSuccess;
  }
  const Captured submitted =
      capture("sbatch --parsable " + slurm::shell_word(script_path.string()));
  const std::string job_id = submitted.output.substr(0, submitted.output.find_first_of(";\n"));
  if (submitted.exit_code != 0 || job_id.empty() ||
      job_id.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "motionfarm submit: sbatch refused the job (exit " << submitted.exit_code << "):\n"
              << submitted.output;
    return kExitBadInput;
  }
  std::cout << "submitted batch job " << job_id << "\n"
            << "watch it: motionfarm status " << state_dir << "\n"
            << "Slurm output: " << slurm::slurm_dir(state_dir) << "/slurm-" << job_id << ".out\n";
  return kExitSuccess;
}

}  // namespace motionfarm::app
