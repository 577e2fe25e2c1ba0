#include "coordinator/resume.h"

#include <filesystem>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "io/latent_store.h"

namespace motionfarm::coordinator {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// An asset's latent store, opened (and its header verified) once for all of its segments.
struct AssetStore {
  bool tried = false;
  std::optional<io::LatentStore> store;
  std::string problem;  // why it could not be opened
};

// A finished segment is kept when the asset's latent store still holds its latents, they verify
// (every dataset's checksum), and the store was written for the settings the ledger recorded.
// A finished expert phase that parked its asset (`node`) is kept when the store holds the state
// it parked, or a later one, or the segment's latents. Otherwise `problem` says why and the task
// is recomputed.
bool latent_intact(const LedgerTask& task, const TaskNode& node, AssetStore& asset_store,
                   std::string& problem) {
  if (!asset_store.tried) {
    asset_store.tried = true;
    if (task.latent_path.empty() || !fs::exists(task.latent_path)) {
      asset_store.problem = "its latent store '" + task.latent_path + "' is missing";
    } else {
      try {
        asset_store.store.emplace(io::LatentStore::open_unchecked(task.latent_path));
      } catch (const CheckpointError& error) {
        asset_store.problem = error.what();
      }
    }
  }
  if (!asset_store.store) {
    problem = asset_store.problem;
    return false;
  }
  try {
    const io::LatentStore& store = *asset_store.store;
    const int k = static_cast<int>(task.segment_index);
    if (store.meta().identity.model_config_hash != task.checksum) {
      problem = "'" + task.latent_path + "' was written for other settings (hash " +
                store.meta().identity.model_config_hash + ", the ledger has " + task.checksum + ")";
      return false;
    }
    if (node.parks_asset() && !store.has_complete_segment(k)) {
      const std::optional<io::SamplingState> state = store.read_state(k);  // verifies it
      if (state && state->step_index >= node.end_step) return true;
      problem = "'" + task.latent_path + "' holds no state of segment " + std::to_string(k) +
                " at step " + std::to_string(node.end_step + 1) + " or later";
      return false;
    }
    if (!store.has_complete_segment(k)) {
      problem = "'" + task.latent_path + "' has no finished segment " + std::to_string(k);
      return false;
    }
    store.read_segment(k);  // verifies the stored checksum
    return true;
  } catch (const CheckpointError& error) {
    problem = error.what();
    return false;
  }
}

}  // namespace

ResumeSummary reconcile_with_ledger(JobLedger& ledger, const Job& job,
                                    const std::vector<AssetPlan>& plans,
                                    const std::string& state_dir, bool force,
                                    Scheduler& scheduler) {
  ResumeSummary summary;
  std::map<std::string, LedgerAsset> known = ledger.assets();
  std::map<std::string, LedgerTask> done = ledger.done_tasks();
  const std::map<std::string, LedgerOutput> claimed = ledger.outputs();
  const WorkGraph& graph = scheduler.graph();

  // Conflicts first, so a refused run changes nothing.
  std::vector<std::string> conflicts;
  for (size_t a = 0; a < plans.size(); ++a) {
    const AssetPlan& plan = plans[a];
    const auto it = known.find(plan.render.id);
    if (it == known.end() || it->second.facts_hash == plan.facts_hash) continue;
    int64_t finished = 0;
    bool clip = false;
    for (size_t task : graph.asset_tasks(a)) {
      if (!done.count(graph.tasks()[task].name)) continue;
      if (graph.tasks()[task].kind == TaskKind::kAssembly)
        clip = true;
      else if (graph.tasks()[task].finishes_segment())
        ++finished;
    }
    if (finished == 0 && !clip) continue;
    std::ostringstream line;
    line << "asset '" << plan.render.id << "' (" << job.assets[a].source.to_string()
         << "): " << join(changed_facts(it->second.facts, plan.facts_json)) << " changed; its "
         << finished << " finished segment" << (finished == 1 ? "" : "s")
         << (clip ? " and its clip" : "") << " would be redone";
    conflicts.push_back(line.str());
  }
  if (!conflicts.empty() && !force) {
    std::string message =
        "the manifest changed since this state folder's earlier run, in ways "
        "that change finished clips:";
    for (const std::string& conflict : conflicts) message += "\n  " + conflict;
    message +=
        "\nrerun with --force to redo them, restore the manifest, or use another "
        "--state-dir for a new job";
    throw ConfigError(message);
  }
  for (const std::string& conflict : conflicts) summary.redone.push_back(conflict);

  for (size_t a = 0; a < plans.size(); ++a) {
    const AssetPlan& plan = plans[a];
    const AssetSpec& spec = job.assets[a];
    LedgerAsset row;
    row.id = plan.render.id;
    row.index = spec.index;
    row.segments = static_cast<int64_t>(spec.segments.size());
    row.priority = spec.priority;
    row.facts = plan.facts_json;
    row.facts_hash = plan.facts_hash;
    row.delivery_hash = plan.delivery_hash;
    const auto it = known.find(row.id);
    if (it != known.end() && it->second.facts_hash != plan.facts_hash) {
      ledger.forget_tasks(row.id);
      std::error_code ignored;
      fs::remove_all(latent_folder(state_dir, row.id), ignored);
      for (size_t task : graph.asset_tasks(a)) done.erase(graph.tasks()[task].name);
    }
    const bool delivery_changed =
        it != known.end() && it->second.delivery_hash != plan.delivery_hash;
    ledger.put_asset(row);

    // Keep each finished segment whose file is intact, up to the first that is not.
    bool chain_intact = true;
    AssetStore asset_store;
    for (size_t task : graph.asset_tasks(a)) {
      const TaskNode& node = graph.tasks()[task];
      const auto d = done.find(node.name);
      bool keep = chain_intact && d != done.end();
      if (keep && node.kind == TaskKind::kSegment) {
        std::string problem;
        keep = latent_intact(d->second, node, asset_store, problem);
        if (!keep) {
          summary.recomputed.push_back(
              "asset '" + row.id + "' segment " + std::to_string(node.segment_index) +
              (node.expert >= 0 ? " (" + node.name + ")" : std::string()) + ": " + problem);
        }
      }
      if (keep && node.kind == TaskKind::kAssembly) {
        keep = !delivery_changed;
        for (const rank::Deliverable& deliverable : plan.render.deliverables) {
          keep = keep && fs::exists(deliverable.path);
        }
      }
      if (keep) {
        scheduler.restore_done(task);
        if (node.finishes_segment()) ++summary.segments_kept;
      } else {
        chain_intact = false;
        if (d != done.end()) ledger.forget_task(node.name);
      }
    }
    if (scheduler.asset_state(a) == AssetState::kDone) {
      ++summary.assets_kept;
      summary.segments_kept -= row.segments;
      ledger.set_asset_state(row.id, "done", "");
      continue;
    }
    ledger.set_asset_state(row.id, "pending", "");

    // A deliverable in the way that this job did not write is never replaced silently.
    if (!job.output.overwrite) {
      for (const rank::Deliverable& deliverable : plan.render.deliverables) {
        if (!fs::exists(deliverable.path) || claimed.count(deliverable.path)) continue;
        const std::string reason = "output " + deliverable.path +
                                   " exists and was not written by this job: move it away or "
                                   "set output.overwrite: true";
        scheduler.fail_asset(a, reason);
        ledger.set_asset_state(row.id, "failed", reason);
        summary.blocked_outputs.push_back("asset '" + row.id + "': " + reason);
        break;
      }
    }
  }
  return summary;
}

}  // namespace motionfarm::coordinator
