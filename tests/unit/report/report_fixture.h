// A JobReport with one asset in each state and user text that needs escaping, for the report
// library's tests.
#pragma once

#include "report/job_report.h"

namespace motionfarm::report::test {

// Assets in manifest order: "done-1" (done, MP4 + WebM under a folder with a space and a '#'),
// "bad<1>" (failed: an error with markup in it), "waiting" (pending), "busy" (running), "done-2"
// (done, GIF only). Two runs: 16 ranks for 1 h (exit 75), then 8 ranks for 30 min (exit 4).
JobReport sample_report();

}  // namespace motionfarm::report::test
