#include "report/report_files.h"

#include <filesystem>
#include <fstream>

#include "core/check.h"
#include "io/staged_output.h"
#include "report/report_html.h"
#include "report/report_json.h"
#include "report/report_totals.h"

namespace motionfarm::report {

namespace fs = std::filesystem;

namespace {

void write_atomically(const std::string& path, const std::string& text) {
  io::StagedOutput staging(path, /*is_folder=*/false);
  {
    std::ofstream out(staging.temporary_path(), std::ios::binary);
    out.write(text.data(), std::streamsize(text.size()));
    out.close();
    MF_CHECK(out.good(), Error, "cannot write " << staging.temporary_path());
  }
  staging.commit();
}

}  // namespace

std::string report_html_path(const std::string& output_root) {
  return (fs::path(output_root) / "report.html").string();
}

std::string summary_json_path(const std::string& output_root) {
  return (fs::path(output_root) / "summary.json").string();
}

ReportFiles write_report(JobReport report, const ReportOptions& options) {
  MF_CHECK(!report.output_root.empty(), ConfigError,
           "the report of job '" << report.job << "' has no output root to go to");
  fs::create_directories(report.output_root);
  ReportFiles files;
  files.thumbnails = prepare_thumbnails(report, options.thumbnails);
  const ReportTotals totals = compute_totals(report);
  files.html = report_html_path(report.output_root);
  files.json = summary_json_path(report.output_root);
  // summary.json first: a tool that sees the new page finds facts at least as new beside it.
  write_atomically(files.json, render_summary_json(report, totals));
  write_atomically(files.html, render_report_html(report, totals));
  return files;
}

}  // namespace motionfarm::report
