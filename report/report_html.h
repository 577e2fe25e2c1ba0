// report.html: one self-contained page (inline CSS, a few lines of plain JavaScript, no network,
// only relative links to files under the output root) that a person opens from a shared file
// system in any browser to see what a job made, what failed and why.
//
// Layout: a header with the job's progress; the summary (counts, wall time, GPU-hours,
// throughput, time per stage, layouts, versions, runs); the failures first, each with its input
// image, error, hint and attempts; then a card per asset (the clip playable inline with its
// poster, contact sheet, prompt, seed, resolution, duration, render time). Buttons filter by
// status and a search box matches ids and prompts.
//
// Built to open fast with 1,000 assets: images load lazily; a clip is a play button over its
// poster until pressed (the <video> waits in an inert <template>: even preload="none" video
// elements cost seconds by the thousand); off-screen cards skip layout (content-visibility).
#pragma once

#include <string>

#include "report/job_report.h"
#include "report/report_totals.h"

namespace motionfarm::report {

// All user text (ids, prompts, errors, paths) is HTML-escaped; file links are relative to
// report.output_root, where the page is written.
std::string render_report_html(const JobReport& report, const ReportTotals& totals);

}  // namespace motionfarm::report
