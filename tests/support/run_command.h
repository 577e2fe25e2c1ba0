// Runs a shell command for end-to-end tests and returns what it printed and its exit code.
#pragma once

#include <string>

namespace motionfarm::testing {

struct CommandResult {
  int exit_code = -1;  // the process's exit status; 128 + N when killed by signal N
  std::string output;  // stdout and stderr, interleaved as printed
};

CommandResult run_command(const std::string& shell_command);

// Quotes `text` for a POSIX shell.
std::string shell_quote(const std::string& text);

}  // namespace motionfarm::testing
