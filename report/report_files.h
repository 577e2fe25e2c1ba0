// Writes a job's report into its output root: report.html and summary.json beside it, each
// under a temporary name and renamed into place (io/staged_output.h), so a browser or a
// pipeline tool reading while the report is refreshed sees the old file or the new one, never
// half of one. Thumbnails go to report-assets/ first (report_thumbnails.h).
#pragma once

#include <string>

#include "report/job_report.h"
#include "report/report_thumbnails.h"

namespace motionfarm::report {

struct ReportOptions {
  ThumbnailOptions thumbnails;
};

struct ReportFiles {
  std::string html;  // <output root>/report.html
  std::string json;  // <output root>/summary.json
  ThumbnailCounts thumbnails;
};

// The file names, for callers that only need to say where the report is.
std::string report_html_path(const std::string& output_root);
std::string summary_json_path(const std::string& output_root);

// Creates the output root when needed. Throws Error when a file cannot be written.
ReportFiles write_report(JobReport report, const ReportOptions& options = {});

}  // namespace motionfarm::report
