// motionfarm report STATE_DIR: writes the job's report.html and summary.json into its output root
// (coordinator/job_report.h), while the job runs or after; read only on the state folder.
#include <algorithm>
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "coordinator/job_report.h"
#include "core/exit_codes.h"

namespace motionfarm::app {

namespace po = boost::program_options;

int run_report_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm report STATE_DIR: write report.html (a review page: what came out, what failed "
      "and why) and summary.json (the same facts for tools) into the job's output root "
      "(docs/report.md)");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("state-dir", po::value<std::string>()->required(), "the job's state folder")
      ("no-thumbnails", po::bool_switch(),
       "link only the thumbnails already in report-assets/ instead of making the missing ones");
  // clang-format on
  po::positional_options_description positional;
  positional.add("state-dir", 1);
  po::variables_map values;
  if (!parse_subcommand_options("report", args, options, positional, values)) return kExitSuccess;
  report::ReportOptions report_options;
  report_options.thumbnails.make_missing = !values["no-thumbnails"].as<bool>();
  report_options.thumbnails.threads = static_cast<int>(
      std::clamp(std::thread::hardware_concurrency(), 1u, 16u));  // decoding clips is the cost
  const report::ReportFiles files =
      coordinator::write_job_report(values["state-dir"].as<std::string>(), report_options);
  std::cout << "report: " << files.html << "\nsummary: " << files.json << "\n";
  if (report_options.thumbnails.make_missing) {
    std::cout << "thumbnails: " << files.thumbnails.made << " made, " << files.thumbnails.reused
              << " kept, " << files.thumbnails.failed << " sources could not be decoded\n";
  }
  return kExitSuccess;
}

}  // namespace motionfarm::app
