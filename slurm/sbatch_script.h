// The batch script `motionfarm submit` writes: options in, script text out (no I/O here).
//
// The script comes from a template (slurm/templates/motionfarm.sbatch, compiled in; or a user's
// edited copy) whose {{name}} placeholders are filled from SbatchOptions: one task per GPU, the
// GPU request, --signal=B:USR1@grace, --requeue, --open-mode=append, output under the state
// folder, and an srun that forwards the notice and requeues the job when the ranks exit 75.
#pragma once

#include <string>
#include <vector>

namespace motionfarm::slurm {

// How the script asks Slurm for GPUs (slurm/README.md, "GPU binding").
enum class GpuRequest {
  kPerTask,  // --gpus-per-task=1: each rank sees only its own GPU
  kPerNode,  // --gpus-per-node=G: every rank sees the node's G GPUs and binds by node rank
};

struct SbatchOptions {
  std::string job_name;    // the manifest's job name (made safe for an #SBATCH line)
  std::string motionfarm;  // absolute path of the executable; compute nodes must see it
  std::string manifest;    // absolute path of the job manifest
  std::string state_dir;   // absolute; the job's Slurm output goes to <state_dir>/slurm
  int nodes = 1;
  int gpus_per_node = 1;   // 0: no GPU request (CPU ranks; tasks_per_node must be given)
  int tasks_per_node = 0;  // 0: one per GPU
  GpuRequest gpu_request = GpuRequest::kPerTask;
  int cpus_per_task = 4;
  std::string partition;   // empty: the cluster's default
  std::string time_limit;  // Slurm's format (minutes, H:M:S, D-H:M...); empty: the default
  std::string account;
  std::string qos;
  // Seconds before the time limit that the notice comes; the limit must exceed it by 35 s.
  int signal_grace_s = 300;
  std::string mpi = "pmix";                // srun --mpi plugin: pmix, or pmi2 where pmix is absent
  std::vector<std::string> run_arguments;  // passed on to `motionfarm run`
  std::vector<std::string> extra_directives;  // "--constraint=a100" -> #SBATCH --constraint=a100

  // Throws ConfigError naming the option and the fix.
  void validate() const;
  // tasks_per_node, or gpus_per_node when that is 0.
  int effective_tasks_per_node() const;
};

// Where the script and the job's output files go: <state_dir>/slurm.
std::string slurm_dir(const std::string& state_dir);

// The template compiled in from slurm/templates/motionfarm.sbatch.
const std::string& default_sbatch_template();

// Fills `template_text`. Validates `options` first; throws ConfigError for a placeholder the
// template names that is not one of SbatchOptions' (a typo in an edited template).
std::string render_sbatch_script(const SbatchOptions& options, const std::string& template_text);

// Seconds in a Slurm time limit ("30" minutes, "1:30:00", "2-12", "2-12:30:00"); -1 for
// "UNLIMITED"/"INFINITE". Throws ConfigError for anything else.
long time_limit_seconds(const std::string& time_limit);

// "a/b c" -> 'a/b c': one word for a POSIX shell.
std::string shell_word(const std::string& text);

}  // namespace motionfarm::slurm
