#include "coordinator/report_refresher.h"

#include <chrono>
#include <exception>

#include "coordinator/job_report.h"
#include "core/check.h"
#include "core/log.h"

namespace motionfarm::coordinator {

ReportRefresher::ReportRefresher(std::string state_dir, double interval_s)
    : state_dir_(std::move(state_dir)), interval_s_(interval_s) {
  MF_CHECK_GT(interval_s, 0.0, ConfigError, "the report refresh interval must be positive");
  thread_ = std::thread([this] { loop(); });
}

ReportRefresher::~ReportRefresher() { stop(); }

void ReportRefresher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ReportRefresher::finish() {
  stop();
  return refresh();
}

int ReportRefresher::refreshes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refreshes_;
}

void ReportRefresher::loop() {
  const auto interval = std::chrono::duration<double>(interval_s_);
  while (true) {
    refresh();
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
  }
}

std::string ReportRefresher::refresh() {
  std::string problem;
  try {
    const report::ReportFiles files = write_job_report(state_dir_);
    std::lock_guard<std::mutex> lock(mutex_);
    ++refreshes_;
    last_problem_.clear();
    return files.html;
  } catch (const std::exception& error) {
    problem = error.what();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (problem != last_problem_) {
    MF_LOG(Warn, "report") << "cannot write the job's report (the job goes on): " << problem;
    last_problem_ = problem;
  }
  return "";
}

}  // namespace motionfarm::coordinator
