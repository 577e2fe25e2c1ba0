// What a run of a job still has to do, from the manifest and the ledger of earlier runs.
//
// A finished segment is kept when the ledger recorded it and its latent file still has the
// recorded checksum; a chain is kept up to its first missing segment. A finished asset is kept
// when its deliverables are all still there. An asset whose facts (what decides its pixels:
// model, image bytes, prompt, seed, size, frames, sampler, plan) changed since its finished work
// was done is a conflict: refused, naming the asset, what changed and what would be redone,
// unless `force`, which forgets that work. Changed deliverable paths or formats only redo the
// assembly. Assets that failed in an earlier run are tried again.
#pragma once

#include <string>
#include <vector>

#include "coordinator/asset_plan.h"
#include "coordinator/job_ledger.h"
#include "coordinator/manifest.h"
#include "coordinator/scheduler.h"

namespace motionfarm::coordinator {

struct ResumeSummary {
  int64_t assets_kept = 0;                   // finished in an earlier run, skipped
  int64_t segments_kept = 0;                 // finished segments of unfinished assets, not redone
  std::vector<std::string> redone;           // "asset 'x': prompt changed: 2 segments redone"
  std::vector<std::string> blocked_outputs;  // assets failed because a file is in the way
  // Finished segments whose latents could not be used ("asset 'x' segment 2: <why>"): redone.
  std::vector<std::string> recomputed;
};

// Brings the ledger up to the job (inserting new assets, recording new facts) and marks in
// `scheduler` what is already done. Throws ConfigError listing every conflict when there are
// any and `force` is false (the ledger is then unchanged for those assets).
ResumeSummary reconcile_with_ledger(JobLedger& ledger, const Job& job,
                                    const std::vector<AssetPlan>& plans,
                                    const std::string& state_dir, bool force, Scheduler& scheduler);

}  // namespace motionfarm::coordinator
