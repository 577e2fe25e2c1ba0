// The job's batches (coordinator/batch_plan.h) as the ledger keeps them: the first run plans
// them and stores them (job table, key "batches": the asset ids of each batch); every rerun
// reuses them, whatever memory it measures, because a batch's composition is part of its
// members' latents and a resumed job must batch as the first run did. A stored batch that no
// longer fits the manifest (an asset gone, its batch key changed, a lower batch_max) is dropped
// with a warning and its assets planned again with any new ones.
#pragma once

#include <vector>

#include "coordinator/asset_plan.h"
#include "coordinator/batch_plan.h"
#include "coordinator/job_ledger.h"

namespace motionfarm::coordinator {

// The batches of `plans` for this run; stores them in `ledger`.
BatchPlan kept_batches(JobLedger& ledger, const std::vector<AssetPlan>& plans,
                       const BatchPlanInputs& inputs);

}  // namespace motionfarm::coordinator
