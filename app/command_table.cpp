#include "app/command.h"

namespace motionfarm::app {

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = {
      {"run", "render every asset of a job manifest on the MPI world", &run_run_command},
      {"render", "render one image + prompt into a clip in this process", &run_render_command},
      {"validate", "check a job manifest and report every problem at once", &run_validate_command},
      {"status", "show the progress of a running or finished job", &run_status_command},
      {"plan", "simulate a job on a cluster and recommend layouts", &run_plan_command},
      {"bench", "calibrate the planner's GPU table on this machine", &run_bench_command},
      {"submit", "write (and submit) an sbatch script for a job", &run_submit_command},
      {"report", "write report.html and summary.json for a job", &run_report_command},
      {"model", "inspect weights and verify modules against reference vectors", &run_model_command},
      {"inspect-checkpoint", "print what a latent checkpoint file holds",
       &run_inspect_checkpoint_command},
      {"version", "print versions of motionfarm, LibTorch, MPI, CUDA and NCCL",
       &run_version_command},
  };
  return commands;
}

}  // namespace motionfarm::app
