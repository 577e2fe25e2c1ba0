// The morning report of a job (report/): its facts read from the job's ledger, and the report
// written into the job's output root. Read only on the state folder; used by `motionfarm report`
// and, during and at the end of `motionfarm run`, by the ReportRefresher on rank 0.
#pragma once

#include <string>

#include "report/job_report.h"
#include "report/report_files.h"

namespace motionfarm::coordinator {

// One consistent snapshot of the ledger (a read transaction: a WAL reader never blocks the
// coordinator) as the report's facts: assets with their manifest facts, attempts, render time
// and written outputs; runs; time per stage. Throws InputError when `state_dir` holds no ledger.
report::JobReport read_job_report(const std::string& state_dir);

// read_job_report, then report::write_report: report.html, summary.json and the thumbnails in
// the job's output root.
report::ReportFiles write_job_report(const std::string& state_dir,
                                     const report::ReportOptions& options = {});

}  // namespace motionfarm::coordinator
