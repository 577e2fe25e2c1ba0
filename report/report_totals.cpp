#include "report/report_totals.h"

#include <algorithm>

namespace motionfarm::report {

ReportTotals compute_totals(const JobReport& report) {
  ReportTotals t;
  for (const ReportAsset& asset : report.assets) {
    ++t.assets;
    switch (asset.status) {
      case AssetStatus::kDone:
        ++t.done;
        t.frames_done += asset.frames;
        break;
      case AssetStatus::kFailed:
        ++t.failed;
        break;
      case AssetStatus::kRunning:
        ++t.running;
        break;
      case AssetStatus::kPending:
        ++t.pending;
        break;
    }
  }
  double rank_seconds = 0.0;
  for (const ReportRun& run : report.runs) {
    const double end = run.ended > 0.0 ? run.ended : std::max(report.generated, run.started);
    const double seconds = std::max(0.0, end - run.started);
    t.wall_seconds += seconds;
    rank_seconds += seconds * std::max(run.world_size, 1);
    if (!run.layout.empty() &&
        std::find(t.layouts.begin(), t.layouts.end(), run.layout) == t.layouts.end()) {
      t.layouts.push_back(run.layout);
    }
  }
  t.gpu_hours = rank_seconds / 3600.0;
  if (t.wall_seconds > 0.0) {
    t.clips_per_hour = double(t.done) * 3600.0 / t.wall_seconds;
    t.frames_per_second = double(t.frames_done) / t.wall_seconds;
  }
  if (report.running()) t.running_since = report.runs.back().started;
  return t;
}

}  // namespace motionfarm::report
