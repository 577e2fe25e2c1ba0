// summary.json: the report's facts for pipeline tools, one JSON object (schema
// "motionfarm.report/1", documented field by field in docs/report.md). Paths are given both
// absolute and relative to the output root, times as seconds since the epoch and ISO 8601 UTC.
#pragma once

#include <string>

#include "report/job_report.h"
#include "report/report_totals.h"

namespace motionfarm::report {

// The schema name every summary.json carries in "schema"; a change that removes or renames a
// field gets a new number.
inline constexpr char kSummarySchema[] = "motionfarm.report/1";

std::string render_summary_json(const JobReport& report, const ReportTotals& totals);

}  // namespace motionfarm::report
