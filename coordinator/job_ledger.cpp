#include "coordinator/job_ledger.h"

#include <chrono>
#include <filesystem>

namespace motionfarm::coordinator {

namespace fs = std::filesystem;

namespace {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, ended REAL,
  world_size INTEGER, layout TEXT, exit_code INTEGER, summary TEXT);
CREATE TABLE IF NOT EXISTS assets (
  asset_id TEXT PRIMARY KEY, idx INTEGER, segments INTEGER, priority INTEGER, facts TEXT,
  facts_hash TEXT, delivery_hash TEXT, state TEXT NOT NULL, error TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS tasks (
  task TEXT PRIMARY KEY, asset_id TEXT NOT NULL, kind TEXT NOT NULL, segment_index INTEGER,
  state TEXT NOT NULL, latent_path TEXT, checksum TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS attempts (
  attempt_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER, task TEXT NOT NULL,
  asset_id TEXT NOT NULL, attempt INTEGER, group_index INTEGER, started REAL, ended REAL,
  outcome TEXT, error_type TEXT, error TEXT, seconds REAL, forward_seconds REAL);
CREATE INDEX IF NOT EXISTS attempts_by_asset ON attempts (asset_id);
CREATE TABLE IF NOT EXISTS outputs (
  path TEXT PRIMARY KEY, asset_id TEXT NOT NULL, format TEXT, state TEXT NOT NULL,
  bytes INTEGER, checksum TEXT, updated REAL);
CREATE TABLE IF NOT EXISTS groups (
  group_index INTEGER PRIMARY KEY, run_id INTEGER, task TEXT, step INTEGER, steps INTEGER,
  updated REAL);
CREATE TABLE IF NOT EXISTS expert_loads (
  load_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER, group_index INTEGER,
  expert TEXT NOT NULL, task TEXT, seconds REAL, loaded REAL);
)sql";

}  // namespace

std::string JobLedger::path_in(const std::string& state_dir) {
  return (fs::path(state_dir) / "ledger.sqlite").string();
}

JobLedger::JobLedger(const std::string& state_dir)
    : db_((fs::create_directories(state_dir), path_in(state_dir)),
          SqliteDatabase::Mode::kReadWriteCreate) {
  // WAL: `motionfarm status` reads while the coordinator writes. synchronous=NORMAL keeps every
  // committed transaction across a killed process (only a power loss may drop the last ones).
  db_.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  db_.execute(kSchema);
}

std::optional<std::string> JobLedger::job_value(const std::string& key) {
  SqliteStatement query = db_.prepare("SELECT value FROM job WHERE key = ?1");
  query.bind(1, key);
  if (!query.step()) return std::nullopt;
  return query.column_text(0);
}

void JobLedger::set_job_value(const std::string& key, const std::string& value) {
  db_.prepare(
         "INSERT INTO job (key, value) VALUES (?1, ?2) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

void JobLedger::atomically(const std::function<void()>& writes) {
  SqliteTransaction transaction(db_);
  writes();
  transaction.commit();
}

int64_t JobLedger::begin_run(int world_size, const std::string& layout) {
  SqliteTransaction transaction(db_);
  const double now = wall_seconds();
  db_.prepare(
         "UPDATE attempts SET outcome = 'lost', ended = ?1, "
         "error = 'the run ended without a result (killed or crashed)' WHERE ended IS NULL")
      .bind(1, now)
      .run();
  db_.prepare(
         "UPDATE runs SET ended = ?1, summary = 'ended without a summary (killed or crashed)'"
         " WHERE ended IS NULL")
      .bind(1, now)
      .run();
  db_.execute("DELETE FROM groups");
  db_.prepare("INSERT INTO runs (started, world_size, layout) VALUES (?1, ?2, ?3)")
      .bind(1, now)
      .bind(2, world_size)
      .bind(3, layout)
      .run();
  const int64_t run_id = db_.last_insert_rowid();
  transaction.commit();
  return run_id;
}

void JobLedger::end_run(int64_t run_id, int exit_code, const std::string& summary) {
  db_.prepare("UPDATE runs SET ended = ?1, exit_code = ?2, summary = ?3 WHERE run_id = ?4")
      .bind(1, wall_seconds())
      .bind(2, exit_code)
      .bind(3, summary)
      .bind(4, run_id)
      .run();
}

std::map<std::string, LedgerAsset> JobLedger::assets() {
  std::map<std::string, LedgerAsset> assets;
  SqliteStatement query = db_.prepare(
      "SELECT asset_id, idx, segments, priority, facts, facts_hash, delivery_hash, state, error "
      "FROM assets");
  while (query.step()) {
    LedgerAsset asset;
    asset.id = query.column_text(0);
    asset.index = query.column_int(1);
    asset.segments = query.column_int(2);
    asset.priority = static_cast<int>(query.column_int(3));
    asset.facts = query.column_text(4);
    asset.facts_hash = query.column_text(5);
    asset.delivery_hash = query.column_text(6);
    asset.state = query.column_text(7);
    asset.error = query.column_text(8);
    assets.emplace(asset.id, asset);
  }
  return assets;
}

void JobLedger::put_asset(const LedgerAsset& asset) {
  db_.prepare(
         "INSERT INTO assets (asset_id, idx, segments, priority, facts, facts_hash, "
         "delivery_hash, state, error, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
         "ON CONFLICT(asset_id) DO UPDATE SET idx = excluded.idx, segments = excluded.segments, "
         "priority = excluded.priority, facts = excluded.facts, facts_hash = excluded.facts_hash, "
         "delivery_hash = excluded.delivery_hash, updated = excluded.updated")
      .bind(1, asset.id)
      .bind(2, asset.index)
      .bind(3, asset.segments)
      .bind(4, asset.priority)
      .bind(5, asset.facts)
      .bind(6, asset.facts_hash)
      .bind(7, asset.delivery_hash)
      .bind(8, asset.state)
      .bind(9, asset.error)
      .bind(10, wall_seconds())
      .run();
}

void JobLedger::set_asset_state(const std::string& id, const std::string& state,
                                const std::string& error) {
  db_.prepare("UPDATE assets SET state = ?1, error = ?2, updated = ?3 WHERE asset_id = ?4")
      .bind(1, state)
      .bind(2, error)
      .bind(3, wall_seconds())
      .bind(4, id)
      .run();
}

void JobLedger::forget_tasks(const std::string& asset_id) {
  db_.prepare("DELETE FROM tasks WHERE asset_id = ?1").bind(1, asset_id).run();
}

std::map<std::string, LedgerTask> JobLedger::done_tasks() {
  std::map<std::string, LedgerTask> tasks;
  SqliteStatement query = db_.prepare(
      "SELECT task, asset_id, kind, segment_index, state, latent_path, checksum FROM tasks "
      "WHERE state = 'done'");
  while (query.step()) {
    LedgerTask task;
    task.name = query.column_text(0);
    task.asset_id = query.column_text(1);
    task.kind = query.column_text(2);
    task.segment_index = query.column_int(3);
    task.state = query.column_text(4);
    task.latent_path = query.column_text(5);
    task.checksum = query.column_text(6);
    tasks.emplace(task.name, task);
  }
  return tasks;
}

void JobLedger::forget_task(const std::string& name) {
  db_.prepare("DELETE FROM tasks WHERE task = ?1").bind(1, name).run();
}

int64_t JobLedger::attempt_started(int64_t run_id, const std::string& task,
                                   const std::string& asset_id, int attempt, int group) {
  db_.prepare(
         "INSERT INTO attempts (run_id, task, asset_id, attempt, group_index, started) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, run_id)
      .bind(2, task)
      .bind(3, asset_id)
      .bind(4, attempt)
      .bind(5, group)
      .bind(6, wall_seconds())
      .run();
  return db_.last_insert_rowid();
}

void JobLedger::attempt_ended(int64_t attempt_id, const AttemptEnd& end) {
  db_.prepare(
         "UPDATE attempts SET ended = ?1, outcome = ?2, error_type = ?3, error = ?4, "
         "seconds = ?5, forward_seconds = ?6 WHERE attempt_id = ?7")
      .bind(1, wall_seconds())
      .bind(2, end.outcome)
      .bind(3, end.error_type)
      .bind(4, end.error)
      .bind(5, end.seconds)
      .bind(6, end.forward_seconds)
      .bind(7, attempt_id)
      .run();
}

void JobLedger::expert_loaded(const ExpertLoad& load) {
  db_.prepare(
         "INSERT INTO expert_loads (run_id, group_index, expert, task, seconds, loaded) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, load.run_id)
      .bind(2, load.group)
      .bind(3, load.expert)
      .bind(4, load.task)
      .bind(5, load.seconds)
      .bind(6, wall_seconds())
      .run();
}

int64_t JobLedger::expert_loads(std::optional<int64_t> run_id) {
  SqliteStatement query =
      db_.prepare("SELECT COUNT(*) FROM expert_loads WHERE ?1 IS NULL OR run_id = ?1");
  if (run_id) {
    query.bind(1, *run_id);
  } else {
    query.bind_null(1);
  }
  return query.step() ? query.column_int(0) : 0;
}

void JobLedger::task_done(const LedgerTask& task) {
  db_.prepare(
         "INSERT INTO tasks (task, asset_id, kind, segment_index, state, latent_path, "
         "checksum, updated) VALUES (?1, ?2, ?3, ?4, 'done', ?5, ?6, ?7) "
         "ON CONFLICT(task) DO UPDATE SET state = 'done', latent_path = excluded.latent_path,"
         " checksum = excluded.checksum, updated = excluded.updated")
      .bind(1, task.name)
      .bind(2, task.asset_id)
      .bind(3, task.kind)
      .bind(4, task.segment_index)
      .bind(5, task.latent_path)
      .bind(6, task.checksum)
      .bind(7, wall_seconds())
      .run();
}

std::map<std::string, LedgerOutput> JobLedger::outputs() {
  std::map<std::string, LedgerOutput> outputs;
  SqliteStatement query =
      db_.prepare("SELECT path, asset_id, format, state, bytes, checksum FROM outputs");
  while (query.step()) {
    LedgerOutput output;
    output.path = query.column_text(0);
    output.asset_id = query.column_text(1);
    output.format = query.column_text(2);
    output.state = query.column_text(3);
    output.bytes = query.column_int(4);
    output.checksum = query.column_text(5);
    outputs.emplace(output.path, output);
  }
  return outputs;
}

void JobLedger::claim_output(const std::string& path, const std::string& asset_id,
                             const std::string& format) {
  db_.prepare(
         "INSERT INTO outputs (path, asset_id, format, state, updated) "
         "VALUES (?1, ?2, ?3, 'claimed', ?4) ON CONFLICT(path) DO UPDATE SET "
         "asset_id = excluded.asset_id, format = excluded.format, state = 'claimed', "
         "bytes = NULL, checksum = NULL, updated = excluded.updated")
      .bind(1, path)
      .bind(2, asset_id)
      .bind(3, format)
      .bind(4, wall_seconds())
      .run();
}

void JobLedger::output_written(const LedgerOutput& output) {
  db_.prepare(
         "INSERT INTO outputs (path, asset_id, format, state, bytes, checksum, updated) "
         "VALUES (?1, ?2, ?3, 'written', ?4, ?5, ?6) ON CONFLICT(path) DO UPDATE SET "
         "state = 'written', bytes = excluded.bytes, checksum = excluded.checksum, "
         "updated = excluded.updated")
      .bind(1, output.path)
      .bind(2, output.asset_id)
      .bind(3, output.format)
      .bind(4, output.bytes)
      .bind(5, output.checksum)
      .bind(6, wall_seconds())
      .run();
}

void JobLedger::set_group_activity(int group, int64_t run_id, const std::string& task, int64_t step,
                                   int64_t steps) {
  db_.prepare(
         "INSERT INTO groups (group_index, run_id, task, step, steps, updated) VALUES "
         "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(group_index) DO UPDATE SET run_id = "
         "excluded.run_id, task = excluded.task, step = excluded.step, steps = "
         "excluded.steps, updated = excluded.updated")
      .bind(1, group)
      .bind(2, run_id)
      .bind(3, task)
      .bind(4, step)
      .bind(5, steps)
      .bind(6, wall_seconds())
      .run();
}

void JobLedger::clear_group_activity() { db_.execute("DELETE FROM groups"); }

}  // namespace motionfarm::coordinator
