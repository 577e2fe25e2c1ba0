// What the morning report shows about a job: the facts read from its ledger (coordinator/
// job_report.h reads them), as plain values. The report library turns one of these into
// report.html and summary.json; it never opens the ledger itself, so the coordinator (which owns
// the ledger) can write a report without the report library knowing SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::report {

enum class AssetStatus { kFailed, kDone, kRunning, kPending };

// "failed", "done", "running", "pending".
const char* to_string(AssetStatus status);

// A deliverable the job wrote.
struct ReportOutput {
  std::string format;  // io/output_format.h name: "mp4", "webm", "gif", "png" (a folder), ...
  std::string path;    // absolute
  int64_t bytes = 0;
  std::string checksum;  // as the ledger recorded it; names the thumbnails made from it
};

struct ReportAsset {
  std::string id;
  int64_t index = 0;  // manifest order
  AssetStatus status = AssetStatus::kPending;
  std::string image;  // the input image (absolute path)
  std::string image_checksum;
  std::string prompt;
  std::string seed;  // as the manifest fact: a 64-bit unsigned number in decimal
  int64_t width = 0;
  int64_t height = 0;
  double fps = 0.0;
  int64_t frames = 0;
  int64_t segments = 0;
  int64_t segments_done = 0;
  std::string activity;         // running: what its group is doing ("segment-002 step 12/40")
  double render_seconds = 0.0;  // wall time of the asset's attempts that succeeded
  int64_t attempts = 0;         // every attempt of every task of the asset, in every run
  int64_t failed_attempts = 0;
  std::string error;       // failed: the scheduler's verdict with the last error
  std::string error_type;  // failed: of the last failed attempt ("input", "non-finite", ...)
  std::vector<ReportOutput> outputs;  // written deliverables, in manifest format order

  // Review images, relative to the output root (empty when there is none); report/
  // report_thumbnails.h fills them in.
  std::string image_thumbnail;
  std::string poster;
  std::string contact_sheet;
  std::string preview_problem;  // why a wanted thumbnail could not be made

  double duration_seconds() const { return fps > 0.0 ? double(frames) / fps : 0.0; }
};

struct ReportRun {
  int64_t run_id = 0;
  double started = 0.0;  // seconds since the epoch
  double ended = 0.0;    // 0 while it runs
  int world_size = 0;    // ranks (one GPU each)
  std::string layout;
  int exit_code = -1;  // -1: none recorded
  std::string summary;
};

// Where the job's time went, summed over every attempt of every run.
struct StageTime {
  std::string key;    // stable name for tools: "dit_forward", "segment_other", "assembly"
  std::string label;  // for people
  double seconds = 0.0;
};

struct JobReport {
  std::string job;
  std::string manifest;
  std::string state_dir;
  std::string output_root;          // report.html and summary.json go here
  std::string motionfarm_version;   // of the last run; empty in ledgers older than the report
  std::string model;                // preset, and "random" or the weight files
  std::string generator;            // the motionfarm build that writes the report
  double generated = 0.0;           // when the report was made (seconds since the epoch)
  double last_update = 0.0;         // the ledger's newest record
  std::vector<ReportRun> runs;      // oldest first
  std::vector<ReportAsset> assets;  // manifest order
  std::vector<StageTime> stages;

  bool running() const { return !runs.empty() && runs.back().ended == 0.0; }
};

}  // namespace motionfarm::report
