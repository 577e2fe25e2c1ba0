// Keeps a job's report.html and summary.json current while `motionfarm run` works: a thread on
// world rank 0 that rewrites them (write_job_report) right away, then every `interval_s`, from
// its own read-only ledger connection, and once more at the end.
//
// It runs beside the coordinator thread rather than in it: making the thumbnails of newly
// finished clips takes longer than a sampling step, and the coordinator must answer every group's
// step report at once. A report that cannot be written (a full disk, an output root that is not
// writable) is logged as a warning and never stops the job.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace motionfarm::coordinator {

class ReportRefresher {
 public:
  // Starts the thread. interval_s > 0.
  ReportRefresher(std::string state_dir, double interval_s);
  // Stops the thread (waiting for a refresh in progress) without a final write.
  ~ReportRefresher();
  ReportRefresher(const ReportRefresher&) = delete;
  ReportRefresher& operator=(const ReportRefresher&) = delete;

  // Stops the thread and writes the final report. Returns the page's path, or "" when it could
  // not be written (the reason is logged).
  std::string finish();

  int refreshes() const;  // reports written so far, for tests

 private:
  void loop();
  void stop();
  // Returns the page's path, or "" after logging why it could not be written.
  std::string refresh();

  std::string state_dir_;
  double interval_s_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int refreshes_ = 0;
  std::string last_problem_;  // logged once until the next success
  std::thread thread_;        // last: starts once the members above are ready
};

}  // namespace motionfarm::coordinator
