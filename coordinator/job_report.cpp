#include "coordinator/job_report.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "core/build_info.h"
#include "core/check.h"

namespace motionfarm::coordinator {

namespace fs = std::filesystem;
using report::AssetStatus;
using report::ReportAsset;

namespace {

std::string job_value(SqliteDatabase& db, const std::string& key) {
  SqliteStatement query = db.prepare("SELECT value FROM job WHERE key = ?1");
  query.bind(1, key);
  return query.step() ? query.column_text(0) : "";
}

std::string fact(const nlohmann::json& facts, const char* key) {
  const auto it = facts.find(key);
  return it != facts.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t integer_fact(const nlohmann::json& facts, const char* key) {
  try {
    return std::stoll(fact(facts, key));
  } catch (const std::exception&) {
    return 0;
  }
}

double number_fact(const nlohmann::json& facts, const char* key) {
  try {
    return std::stod(fact(facts, key));
  } catch (const std::exception&) {
    return 0.0;
  }
}

// "demo-i2v, weights random" / "wan2.1-i2v-14b-480p, weights /models/wan2.1".
std::string model_text(const nlohmann::json& facts) {
  const std::string weights = fact(facts, "model.weights");
  std::string files;
  size_t start = 0;
  while (start <= weights.size()) {
    const size_t bar = std::min(weights.find('|', start), weights.size());
    const std::string part = weights.substr(start, bar - start);
    if (!part.empty()) files += (files.empty() ? "" : ", ") + part;
    start = bar + 1;
  }
  return fact(facts, "model.preset") + (files.empty() ? "" : ", weights " + files);
}

void fill_from_facts(ReportAsset& asset, const std::string& facts_json) {
  nlohmann::json facts;
  try {
    facts = nlohmann::json::parse(facts_json);
  } catch (const nlohmann::json::exception&) {
    return;  // a row without facts (never written by run): the report shows the id only
  }
  asset.image = fact(facts, "image");
  asset.image_checksum = fact(facts, "image.checksum");
  asset.prompt = fact(facts, "prompt");
  asset.seed = fact(facts, "seed");
  const std::string resolution = fact(facts, "resolution");  // "832x480"
  const size_t x = resolution.find('x');
  if (x != std::string::npos) {
    try {
      asset.width = std::stoll(resolution.substr(0, x));
      asset.height = std::stoll(resolution.substr(x + 1));
    } catch (const std::exception&) {
      asset.width = asset.height = 0;
    }
  }
  asset.fps = number_fact(facts, "fps");
  asset.frames = integer_fact(facts, "frames");
}

// "<asset>/segment-002" -> "<asset>"; "<asset>/segment-002/high_noise" (an expert phase) ->
// "<asset>"; "<asset>/assembly" -> "<asset>".
std::string asset_of_task(const std::string& task) {
  const size_t segment = task.rfind("/segment-");
  if (segment != std::string::npos) return task.substr(0, segment);
  const size_t slash = task.rfind('/');
  return slash == std::string::npos ? task : task.substr(0, slash);
}

bool is_assembly(const std::string& task) {
  const std::string suffix = "/assembly";
  return task.size() >= suffix.size() &&
         task.compare(task.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

report::JobReport read_job_report(const std::string& state_dir) {
  const std::string path = JobLedger::path_in(state_dir);
  MF_CHECK(fs::exists(path), InputError,
           "no job ledger in " << state_dir << " (" << path
                               << " is missing): pass the state folder of a job that has run");
  SqliteDatabase db(path, SqliteDatabase::Mode::kReadOnly);
  // One snapshot: the coordinator may commit between the queries below.
  db.execute("BEGIN");
  report::JobReport r;
  const core::BuildInfo& build = core::build_info();
  r.generator = std::string(build.version) + " (" + build.git_commit + ")";
  r.generated = now_seconds();
  r.state_dir = fs::absolute(state_dir).lexically_normal().string();
  r.job = job_value(db, "name");
  r.manifest = job_value(db, "manifest");
  r.output_root = job_value(db, "output_root");
  r.motionfarm_version = job_value(db, "motionfarm_version");

  SqliteStatement runs = db.prepare(
      "SELECT run_id, started, ended, world_size, layout, exit_code, summary FROM runs "
      "ORDER BY run_id");
  while (runs.step()) {
    report::ReportRun run;
    run.run_id = runs.column_int(0);
    run.started = runs.column_double(1);
    run.ended = runs.is_null(2) ? 0.0 : runs.column_double(2);
    run.world_size = static_cast<int>(runs.column_int(3));
    run.layout = runs.column_text(4);
    run.exit_code = runs.is_null(5) ? -1 : static_cast<int>(runs.column_int(5));
    run.summary = runs.column_text(6);
    r.runs.push_back(run);
  }

  std::map<std::string, size_t> by_id;
  SqliteStatement assets = db.prepare(
      "SELECT asset_id, idx, segments, facts, state, error FROM assets ORDER BY idx, asset_id");
  while (assets.step()) {
    ReportAsset asset;
    asset.id = assets.column_text(0);
    asset.index = assets.column_int(1);
    asset.segments = assets.column_int(2);
    const std::string facts = assets.column_text(3);
    fill_from_facts(asset, facts);
    if (r.model.empty() && !facts.empty()) {
      try {
        r.model = model_text(nlohmann::json::parse(facts));
      } catch (const nlohmann::json::exception&) {
      }
    }
    const std::string state = assets.column_text(4);
    asset.status = state == "done"     ? AssetStatus::kDone
                   : state == "failed" ? AssetStatus::kFailed
                                       : AssetStatus::kPending;
    asset.error = assets.column_text(5);
    by_id.emplace(asset.id, r.assets.size());
    r.assets.push_back(std::move(asset));
  }
  const auto find = [&](const std::string& id) -> ReportAsset* {
    const auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &r.assets[it->second];
  };

  SqliteStatement segments = db.prepare(
      "SELECT asset_id, COUNT(*) FROM tasks WHERE kind = 'segment' AND state = 'done' "
      "GROUP BY asset_id");
  while (segments.step()) {
    if (ReportAsset* asset = find(segments.column_text(0)))
      asset->segments_done = segments.column_int(1);
  }

  // One pass over every attempt, oldest first: counts, the last failure's type, the render time
  // (each task's latest successful attempt, so work redone with --force is not counted twice)
  // and the time per stage (every attempt: it is where the machine time went).
  double forward = 0.0, segment = 0.0, assembly = 0.0;
  std::map<std::string, std::pair<std::string, double>> latest_done;  // task -> asset, seconds
  SqliteStatement attempts = db.prepare(
      "SELECT asset_id, task, outcome, error_type, seconds, forward_seconds FROM attempts "
      "ORDER BY attempt_id");
  while (attempts.step()) {
    const std::string asset_id = attempts.column_text(0);
    const std::string task = attempts.column_text(1);
    const std::string outcome = attempts.column_text(2);
    const double seconds = attempts.column_double(4);
    const double forward_seconds = attempts.column_double(5);
    (is_assembly(task) ? assembly : segment) += seconds;
    forward += forward_seconds;
    ReportAsset* asset = find(asset_id);
    // A batch member handed back unrun (a batch-mate failed, or the batch ran out of memory) made
    // no attempt of its own: its time counts above, not as one of its tries.
    if (asset == nullptr || outcome == "requeued") continue;
    ++asset->attempts;
    if (outcome == "failed") {
      ++asset->failed_attempts;
      asset->error_type = attempts.column_text(3);
    } else if (outcome == "done") {
      latest_done[task] = {asset_id, seconds};
    }
  }
  for (const auto& [task, done] : latest_done) {
    if (ReportAsset* asset = find(done.first)) asset->render_seconds += done.second;
  }
  r.stages = {{"dit_forward", "denoising: the DiT forward", forward},
              {"segment_other",
               "segments outside the DiT forward: text/image encoders, VAE encode, sampler",
               std::max(0.0, segment - forward)},
              {"assembly", "assembly: VAE decode and video encode", assembly}};

  SqliteStatement outputs = db.prepare(
      "SELECT path, asset_id, format, bytes, checksum FROM outputs WHERE state = 'written' "
      "ORDER BY path");
  while (outputs.step()) {
    if (ReportAsset* asset = find(outputs.column_text(1))) {
      asset->outputs.push_back({outputs.column_text(2), outputs.column_text(0),
                                outputs.column_int(3), outputs.column_text(4)});
    }
  }

  if (r.running()) {
    SqliteStatement groups =
        db.prepare("SELECT task, step, steps FROM groups WHERE task != '' ORDER BY group_index");
    while (groups.step()) {
      const std::string task = groups.column_text(0);
      ReportAsset* asset = find(asset_of_task(task));
      if (asset == nullptr || asset->status != AssetStatus::kPending) continue;
      asset->status = AssetStatus::kRunning;
      asset->activity = task.substr(asset_of_task(task).size() + 1);
      if (groups.column_int(2) > 0) {
        asset->activity += " step " + std::to_string(groups.column_int(1)) + "/" +
                           std::to_string(groups.column_int(2));
      }
    }
  }

  SqliteStatement latest = db.prepare(
      "SELECT MAX(t) FROM (SELECT MAX(updated) AS t FROM assets UNION ALL SELECT MAX(updated) "
      "FROM tasks UNION ALL SELECT MAX(updated) FROM outputs UNION ALL SELECT MAX(updated) FROM "
      "groups UNION ALL SELECT MAX(COALESCE(ended, started)) FROM attempts UNION ALL SELECT "
      "MAX(COALESCE(ended, started)) FROM runs)");
  if (latest.step() && !latest.is_null(0)) r.last_update = latest.column_double(0);
  db.execute("COMMIT");
  return r;
}

report::ReportFiles write_job_report(const std::string& state_dir,
                                     const report::ReportOptions& options) {
  return report::write_report(read_job_report(state_dir), options);
}

}  // namespace motionfarm::coordinator
