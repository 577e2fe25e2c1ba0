#include <iostream>
#include <map>

#include "app/command.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace {
struct PendingCommand {
  const char* provided_by;  // the part of the project (issue) that builds it
  const char* description;  // what it will do, for --help
};

const std::map<std::string, PendingCommand>& pending_commands() {
  static const std::map<std::string, PendingCommand> table = {
      {"submit",
       {"Slurm support (issue #9)",
        "motionfarm submit JOB.yaml --nodes N --gpus-per-node G [--dry-run]\n"
        "Writes an sbatch script into the state folder and submits it."}},
      {"report",
       {"the morning report (issue #10)",
        "motionfarm report STATE_DIR\n"
        "Writes report.html and summary.json for a job."}},
  };
  return table;
}
}  // namespace

int run_pending_command(const std::string& name, const std::vector<std::string>& args) {
  const PendingCommand& command = pending_commands().at(name);
  const bool wants_help = !args.empty() && (args.front() == "--help" || args.front() == "-h");
  if (wants_help) {
    std::cout << command.description << "\n\nNot built yet: " << command.provided_by
              << " provides it.\n";
    return kExitSuccess;
  }
  std::cerr << "motionfarm " << name << ": not built yet in this version; " << command.provided_by
            << " provides it.\n";
  return kExitNotAvailable;
}

}  // namespace motionfarm::app
