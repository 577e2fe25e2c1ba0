// The summary numbers of a report (counts, time, throughput), derived from a JobReport once so
// that report.html and summary.json always agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/job_report.h"

namespace motionfarm::report {

struct ReportTotals {
  int64_t assets = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int64_t running = 0;
  int64_t pending = 0;  // not started, or waiting for their next task
  int64_t frames_done = 0;
  double wall_seconds = 0.0;  // summed over runs; a running run counts up to `generated`
  double gpu_hours = 0.0;     // run wall time x ranks (one GPU per rank), summed over runs
  double clips_per_hour = 0.0;
  double frames_per_second = 0.0;
  double running_since = 0.0;        // start of the running run; 0 when none runs
  std::vector<std::string> layouts;  // distinct, in the order the runs used them
};

ReportTotals compute_totals(const JobReport& report);

}  // namespace motionfarm::report
