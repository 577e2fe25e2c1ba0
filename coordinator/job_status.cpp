#include "coordinator/job_status.h"

#include <cmath>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "core/check.h"

namespace motionfarm::coordinator {

namespace fs = std::filesystem;

namespace {

// The ledger is a file anyone can edit: a time no clock gives (NaN, 1e300) prints as "?" instead
// of reaching time_t (undefined when it does not fit) or localtime(), which returns null past the
// year 2^31.
constexpr double kYear10000 = 253402300800.0;

std::string local_time(double seconds) {
  if (std::isnan(seconds)) return "?";
  if (seconds <= 0.0) return "-";
  if (seconds >= kYear10000) return "?";
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm parts{};
  if (localtime_r(&t, &parts) == nullptr) return "?";
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

// Whole seconds for people; a hostile value that does not fit an int64 is shown as "?".
std::string whole_seconds(double seconds) {
  if (!(seconds > -9.2e18 && seconds < 9.2e18)) return "?";
  return std::to_string(static_cast<int64_t>(seconds));
}

std::string job_value(SqliteDatabase& db, const std::string& key) {
  SqliteStatement query = db.prepare("SELECT value FROM job WHERE key = ?1");
  query.bind(1, key);
  return query.step() ? query.column_text(0) : "";
}

}  // namespace

JobStatus read_job_status(const std::string& state_dir) {
  const std::string path = JobLedger::path_in(state_dir);
  MF_CHECK(fs::exists(path), InputError,
           "no job ledger in " << state_dir << " (" << path
                               << " is missing): pass the state folder of a job that has run");
  SqliteDatabase db(path, SqliteDatabase::Mode::kReadOnly);
  JobStatus status;
  status.state_dir = fs::absolute(state_dir).lexically_normal().string();
  status.job = job_value(db, "name");
  status.manifest = job_value(db, "manifest");
  status.output_root = job_value(db, "output_root");

  SqliteStatement assets =
      db.prepare("SELECT asset_id, state, error, segments FROM assets ORDER BY idx");
  while (assets.step()) {
    ++status.assets;
    const std::string state = assets.column_text(1);
    status.segments_total += assets.column_int(3);
    if (state == "done") {
      ++status.done;
    } else if (state == "failed") {
      ++status.failed;
      status.failures.push_back({assets.column_text(0), assets.column_text(2)});
    } else {
      ++status.pending;
    }
  }
  SqliteStatement segments =
      db.prepare("SELECT COUNT(*) FROM tasks WHERE kind = 'segment' AND state = 'done'");
  if (segments.step()) status.segments_done = segments.column_int(0);
  SqliteStatement attempts = db.prepare(
      "SELECT COUNT(*), COALESCE(SUM(outcome = 'failed'), 0), "
      "COALESCE(SUM(forward_seconds), 0) FROM attempts");
  if (attempts.step()) {
    status.attempts = attempts.column_int(0);
    status.failed_attempts = attempts.column_int(1);
    status.forward_seconds = attempts.column_double(2);
  }
  SqliteStatement groups =
      db.prepare("SELECT group_index, task, step, steps, updated FROM groups ORDER BY group_index");
  while (groups.step()) {
    status.groups.push_back({static_cast<int>(groups.column_int(0)), groups.column_text(1),
                             groups.column_int(2), groups.column_int(3), groups.column_double(4)});
  }
  SqliteStatement runs = db.prepare(
      "SELECT run_id, started, ended, world_size, layout, exit_code, summary FROM runs "
      "ORDER BY run_id");
  while (runs.step()) {
    RunRecord run;
    run.run_id = runs.column_int(0);
    run.started = runs.column_double(1);
    run.ended = runs.is_null(2) ? 0.0 : runs.column_double(2);
    run.world_size = static_cast<int>(runs.column_int(3));
    run.layout = runs.column_text(4);
    run.exit_code = runs.is_null(5) ? -1 : static_cast<int>(runs.column_int(5));
    run.summary = runs.column_text(6);
    status.runs.push_back(run);
  }
  return status;
}

std::string format_status(const JobStatus& s) {
  std::ostringstream out;
  out << "job " << s.job << " (" << s.manifest << ")\n"
      << "state " << s.state_dir << ", outputs under " << s.output_root << "\n"
      << (s.running() ? "RUNNING" : "not running") << ": " << s.done << "/" << s.assets
      << " assets done, " << s.failed << " failed, " << s.pending << " to do; " << s.segments_done
      << "/" << s.segments_total << " segments rendered\n"
      << "attempts " << s.attempts << " (" << s.failed_attempts << " failed), "
      << whole_seconds(s.forward_seconds) << " s in the model forward\n";
  if (s.running()) {
    for (const GroupActivity& g : s.groups) {
      out << "  group " << g.group << ": "
          << (g.task.empty() ? std::string("idle")
                             : g.task + (g.steps > 0 ? " step " + std::to_string(g.step) + "/" +
                                                           std::to_string(g.steps)
                                                     : std::string()))
          << " (updated " << local_time(g.updated) << ")\n";
    }
  }
  for (const AssetFailure& f : s.failures) out << "  failed " << f.asset << ": " << f.error << "\n";
  if (const fs::path page = fs::path(s.output_root) / "report.html"; fs::exists(page)) {
    out << "report " << page.string() << "\n";
  }
  for (const RunRecord& r : s.runs) {
    out << "run " << r.run_id << ": " << local_time(r.started) << " -> " << local_time(r.ended)
        << ", " << r.world_size << " ranks, layout " << r.layout;
    if (r.exit_code >= 0) out << ", exit " << r.exit_code;
    if (!r.summary.empty()) out << ": " << r.summary;
    out << "\n";
  }
  return out.str();
}

std::string status_json(const JobStatus& s) {
  nlohmann::json failures = nlohmann::json::array();
  for (const AssetFailure& f : s.failures)
    failures.push_back({{"asset", f.asset}, {"error", f.error}});
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupActivity& g : s.groups) {
    groups.push_back({{"group", g.group},
                      {"task", g.task},
                      {"step", g.step},
                      {"steps", g.steps},
                      {"updated", g.updated}});
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRecord& r : s.runs) {
    runs.push_back({{"run", r.run_id},
                    {"started", r.started},
                    {"ended", r.ended == 0.0 ? nlohmann::json() : nlohmann::json(r.ended)},
                    {"world_size", r.world_size},
                    {"layout", r.layout},
                    {"exit_code", r.exit_code < 0 ? nlohmann::json() : nlohmann::json(r.exit_code)},
                    {"summary", r.summary}});
  }
  return nlohmann::json{{"job", s.job},
                        {"manifest", s.manifest},
                        {"state_dir", s.state_dir},
                        {"output_root", s.output_root},
                        {"running", s.running()},
                        {"assets", s.assets},
                        {"done", s.done},
                        {"failed", s.failed},
                        {"pending", s.pending},
                        {"segments_done", s.segments_done},
                        {"segments_total", s.segments_total},
                        {"attempts", s.attempts},
                        {"failed_attempts", s.failed_attempts},
                        {"forward_seconds", s.forward_seconds},
                        {"failures", failures},
                        {"groups", groups},
                        {"runs", runs}}
      // Ledger text is whatever the errors said (file names are bytes, not always UTF-8); JSON
      // cannot carry invalid UTF-8, so such bytes become U+FFFD instead of failing the command.
      .dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace motionfarm::coordinator
