#include "report/job_report.h"

namespace motionfarm::report {

const char* to_string(AssetStatus status) {
  switch (status) {
    case AssetStatus::kFailed:
      return "failed";
    case AssetStatus::kDone:
      return "done";
    case AssetStatus::kRunning:
      return "running";
    case AssetStatus::kPending:
      return "pending";
  }
  return "pending";
}

}  // namespace motionfarm::report
