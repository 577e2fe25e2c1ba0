// motionfarm: the command-line entry point. Parses the subcommand and hands over; every error
// thrown below ends here and becomes a message and a documented exit code (docs/exit-codes.md).
//
// MPI is initialised by the subcommands that use it (run, render under mpirun, model verify
// --layout), not here: validate, plan, submit and report run on login nodes where no MPI launcher
// may exist.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "core/error.h"
#include "core/exit_codes.h"

namespace {

using motionfarm::app::all_commands;

void print_usage(std::ostream& out) {
  out << "motionfarm: a distributed batch renderer that turns still images into video clips\n\n"
         "usage: motionfarm <subcommand> [options]   (motionfarm <subcommand> --help)\n\n"
         "subcommands:\n";
  for (const auto& command : all_commands()) {
    out << "  " << command.name << std::string(20 - std::min<size_t>(19, command.name.size()), ' ')
        << command.summary << "\n";
  }
}

std::string command_names() {
  std::string names;
  for (const auto& command : all_commands()) names += (names.empty() ? "" : ", ") + command.name;
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace motionfarm;
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  if (arguments.empty()) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const std::string& name = arguments.front();
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return kExitSuccess;
  }
  if (name == "--version") return app::run_version_command({});

  for (const auto& command : all_commands()) {
    if (command.name != name) continue;
    try {
      return command.run({arguments.begin() + 1, arguments.end()});
    } catch (const app::UsageError& error) {
      std::cerr << error.what() << "\n";
      return kExitUsage;
    } catch (const ConfigError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitBadInput;
    } catch (const InputError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitBadInput;
    } catch (const CheckpointError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitBadInput;
    } catch (const ModelError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitBadInput;
    } catch (const DiskFullError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitDiskFull;
    } catch (const CommError& error) {
      std::cerr << "motionfarm " << name << ": " << error.what() << "\n";
      return kExitCommFailure;
    } catch (const std::exception& error) {
      std::cerr << "motionfarm " << name << ": internal error: " << error.what() << "\n";
      return kExitInternalError;
    }
  }
  std::cerr << "motionfarm: unknown subcommand '" << name
            << "'\nvalid subcommands: " << command_names() << "\n(see `motionfarm --help`)\n";
  return kExitUsage;
}
