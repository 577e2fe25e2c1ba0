#include "app/options.h"

#include <iostream>

namespace motionfarm::app {

namespace po = boost::program_options;

std::string list_option_names(const po::options_description& options) {
  std::string names;
  for (const auto& option : options.options()) {
    if (!names.empty()) names += ", ";
    names += "--" + option->long_name();
  }
  return names;
}

bool parse_subcommand_options(const std::string& name, const std::vector<std::string>& args,
                              const po::options_description& options,
                              const po::positional_options_description& positional,
                              po::variables_map& values) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
    if (values.count("help")) {
      std::cout << options << "\n";
      return false;
    }
    po::notify(values);
  } catch (const po::error& error) {
    throw UsageError("motionfarm " + name + ": " + error.what() + "\nvalid options: " +
                     list_option_names(options) + "\n(see `motionfarm " + name + " --help`)");
  }
  return true;
}

}  // namespace motionfarm::app
