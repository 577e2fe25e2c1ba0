// The motionfarm subcommands: a name, a one-line summary and the function that runs it.
#pragma once

#include <string>
#include <vector>

namespace motionfarm::app {

struct Command {
  std::string name;
  std::string summary;
  // Receives the arguments after the subcommand name; returns the process exit code
  // (core/exit_codes.h). Errors are thrown as motionfarm::Error and mapped to codes by main.
  int (*run)(const std::vector<std::string>& args);
};

// Every subcommand, in the order `motionfarm --help` lists them.
const std::vector<Command>& all_commands();

// Subcommands, one file each.
int run_version_command(const std::vector<std::string>& args);
int run_model_command(const std::vector<std::string>& args);
int run_inspect_checkpoint_command(const std::vector<std::string>& args);
int run_render_command(const std::vector<std::string>& args);
int run_validate_command(const std::vector<std::string>& args);
int run_run_command(const std::vector<std::string>& args);
int run_status_command(const std::vector<std::string>& args);
int run_plan_command(const std::vector<std::string>& args);
int run_bench_command(const std::vector<std::string>& args);
int run_report_command(const std::vector<std::string>& args);
int run_submit_command(const std::vector<std::string>& args);

}  // namespace motionfarm::app
