// The job ledger: what happened to every asset, task and attempt of a job, in SQLite (WAL) in
// the job's state folder (`<state>/ledger.sqlite`). Written only by the coordinator; read by
// `motionfarm status` while the job runs (WAL readers never block the writer) and by the
// coordinator itself when a job is rerun, to skip finished work.
//
// Tables (docs/farm.md): job (key/value facts: name, manifest, start date), runs (one row per
// `motionfarm run`), assets (state, error, the facts that decide its pixels), tasks (state, the
// segment's latent file and checksum), attempts (start/end, group, outcome, error, timings),
// outputs (every deliverable path the job claimed or wrote, with size and checksum), groups (what
// each model group is doing now), expert_loads (every expert DiT a group loaded, for presets with
// experts: the cost phase batching keeps down). Tables added by a later version are created when
// an older ledger is opened, so existing state folders keep working.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/sqlite_database.h"

namespace motionfarm::coordinator {

struct LedgerAsset {
  std::string id;
  int64_t index = 0;
  int64_t segments = 0;
  int priority = 0;
  std::string facts;  // JSON object of everything that decides the asset's pixels
  std::string facts_hash;
  std::string delivery_hash;      // of its deliverable paths and formats
  std::string state = "pending";  // pending, done, failed
  std::string error;
};

struct LedgerTask {
  std::string name;
  std::string asset_id;
  std::string kind;  // segment, assembly
  int64_t segment_index = -1;
  std::string state;  // done (only finished tasks have rows)
  std::string latent_path;
  std::string checksum;
};

struct LedgerOutput {
  std::string path;
  std::string asset_id;
  std::string format;
  std::string state;  // claimed (about to be written), written
  int64_t bytes = 0;
  std::string checksum;
};

// One finished attempt, for the ledger's attempts table.
struct AttemptEnd {
  std::string outcome;  // done, failed, interrupted
  std::string error_type;
  std::string error;
  double seconds = 0.0;
  double forward_seconds = 0.0;
};

// One expert DiT a model group loaded (moved onto its devices) before a task.
struct ExpertLoad {
  int64_t run_id = 0;
  int group = 0;
  std::string expert;  // the preset's expert name, "high_noise"
  std::string task;    // the task it was loaded for
  double seconds = 0.0;
};

class JobLedger {
 public:
  // `<state_dir>/ledger.sqlite`.
  static std::string path_in(const std::string& state_dir);

  // Opens or creates the ledger (creating `state_dir`), in WAL mode.
  explicit JobLedger(const std::string& state_dir);

  std::optional<std::string> job_value(const std::string& key);
  void set_job_value(const std::string& key, const std::string& value);

  // A new run; attempts that earlier runs left open (a killed job) are closed as "lost".
  // Runs `writes` (calls of this ledger's writers) as one transaction: a process killed meanwhile
  // leaves all of them or none. An attempt recorded done without its task (or its outputs) would
  // make a rerun do finished work again.
  void atomically(const std::function<void()>& writes);

  int64_t begin_run(int world_size, const std::string& layout);
  void end_run(int64_t run_id, int exit_code, const std::string& summary);

  std::map<std::string, LedgerAsset> assets();
  // Inserts the asset or updates everything but its state and error.
  void put_asset(const LedgerAsset& asset);
  void set_asset_state(const std::string& id, const std::string& state, const std::string& error);
  // Forgets the asset's finished tasks (its work is redone), keeping its attempts as history.
  void forget_tasks(const std::string& asset_id);

  std::map<std::string, LedgerTask> done_tasks();
  void forget_task(const std::string& name);

  // Returns the attempt's row id.
  int64_t attempt_started(int64_t run_id, const std::string& task, const std::string& asset_id,
                          int attempt, int group);
  void attempt_ended(int64_t attempt_id, const AttemptEnd& end);
  void task_done(const LedgerTask& task);

  void expert_loaded(const ExpertLoad& load);
  // Expert loads recorded for run `run_id`, or over every run.
  int64_t expert_loads(std::optional<int64_t> run_id = std::nullopt);

  std::map<std::string, LedgerOutput> outputs();
  // Claims `path` for `asset_id` before it is written: an existing file at a claimed path is
  // the job's own (from a run killed after writing it) and may be replaced.
  void claim_output(const std::string& path, const std::string& asset_id,
                    const std::string& format);
  void output_written(const LedgerOutput& output);

  // The live view of what a group is doing (step 0 when between tasks).
  void set_group_activity(int group, int64_t run_id, const std::string& task, int64_t step,
                          int64_t steps);
  void clear_group_activity();

 private:
  SqliteDatabase db_;
};

}  // namespace motionfarm::coordinator
