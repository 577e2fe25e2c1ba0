// motionfarm status STATE_DIR [--json]: a job's progress from its ledger, while it runs or after.
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/job_status.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace po = boost::program_options;

int run_status_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm status STATE_DIR [--json]: assets done/failed/to do, what each group is doing, "
      "every failure with its reason, and the runs so far");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("state-dir", po::value<std::string>()->required(), "the job's state folder")
      ("json", po::bool_switch(), "print one JSON object");
  // clang-format on
  po::positional_options_description positional;
  positional.add("state-dir", 1);
  po::variables_map values;
  if (!parse_subcommand_options("status", args, options, positional, values)) return kExitSuccess;
  const coordinator::JobStatus status =
      coordinator::read_job_status(values["state-dir"].as<std::string>());
  if (values["json"].as<bool>()) {
    std::cout << coordinator::status_json(status) << "\n";
  } else {
    std::cout << coordinator::format_status(status);
  }
  return kExitSuccess;
}

}  // namespace motionfarm::app
