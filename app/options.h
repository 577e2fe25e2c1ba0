// Command-line parsing shared by the subcommands (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace motionfarm::app {

// A command line that cannot be understood: main exits with kExitUsage.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Parses `args` for subcommand `name`. Returns false when --help was given (the help is printed
// and the caller returns success). Throws UsageError naming the valid options for an unknown or
// malformed option.
bool parse_subcommand_options(
    const std::string& name, const std::vector<std::string>& args,
    const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description& positional,
    boost::program_options::variables_map& values);

// "--a, --b, --c": the long names of `options`, for error messages.
std::string list_option_names(const boost::program_options::options_description& options);

}  // namespace motionfarm::app
