// `motionfarm status`: a job's progress read from its ledger, while it runs (a WAL reader never
// blocks the coordinator) or after. Read only: it never changes the state folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::coordinator {

struct AssetFailure {
  std::string asset;
  std::string error;
};

struct GroupActivity {
  int group = 0;
  std::string task;  // empty: between tasks
  int64_t step = 0;
  int64_t steps = 0;
  double updated = 0.0;  // seconds since the epoch
};

struct RunRecord {
  int64_t run_id = 0;
  double started = 0.0;
  double ended = 0.0;  // 0 while running (or when the run was killed and not followed yet)
  int world_size = 0;
  std::string layout;
  int exit_code = -1;  // -1: none recorded
  std::string summary;
};

struct JobStatus {
  std::string state_dir;
  std::string job;
  std::string manifest;
  std::string output_root;
  int64_t assets = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int64_t pending = 0;
  int64_t segments_done = 0;
  int64_t segments_total = 0;
  int64_t attempts = 0;
  int64_t failed_attempts = 0;
  double forward_seconds = 0.0;
  std::vector<AssetFailure> failures;
  std::vector<GroupActivity> groups;
  std::vector<RunRecord> runs;  // oldest first

  bool running() const { return !runs.empty() && runs.back().ended == 0.0; }
};

// Throws InputError when `state_dir` holds no ledger.
JobStatus read_job_status(const std::string& state_dir);

// For people: the counts, what each group is doing, every failure with its reason, the runs.
std::string format_status(const JobStatus& status);
// The same as one JSON object.
std::string status_json(const JobStatus& status);

}  // namespace motionfarm::coordinator
