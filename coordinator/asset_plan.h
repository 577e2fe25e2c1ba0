// A manifest asset as the farm handles it: the self-contained rank::AssetRender the groups
// receive, its deliverable paths, and its "facts" — every setting that decides its pixels —
// whose hash the ledger keeps, so a rerun with a changed manifest knows which assets it would
// redo and which setting changed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "coordinator/manifest.h"
#include "rank/farm_task.h"

namespace motionfarm::coordinator {

struct AssetPlan {
  rank::AssetRender render;
  // key -> value (ordered): the model, image bytes, prompt, seed, size, frames, sampler, plan.
  std::map<std::string, std::string> facts;
  std::string facts_json;     // the same as a JSON object, for the ledger
  std::string facts_hash;     // fnv1a64 hex of facts_json
  std::string delivery_hash;  // of the deliverables (format + path)
};

// `date` is what {date} renders as (the job's first start date, kept in the ledger).
// Throws InputError when the image cannot be read for its checksum.
AssetPlan plan_asset(const Job& job, const AssetSpec& asset, const std::string& date);

// The names of the facts that differ between two facts_json texts ("prompt", "seed", ...);
// every key when `before` cannot be parsed.
std::vector<std::string> changed_facts(const std::string& before, const std::string& after);

// The latent folder of `asset_id` under the state folder: `<state>/latents/<asset>`.
std::string latent_folder(const std::string& state_dir, const std::string& asset_id);

}  // namespace motionfarm::coordinator
