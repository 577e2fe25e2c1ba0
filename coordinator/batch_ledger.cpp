#include "coordinator/batch_ledger.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/log.h"

namespace motionfarm::coordinator {

using nlohmann::json;

namespace {

void add_batch(BatchPlan& plan, std::vector<size_t> members) {
  plan.largest = std::max<int64_t>(plan.largest, static_cast<int64_t>(members.size()));
  plan.batches.push_back(std::move(members));
}

}  // namespace

BatchPlan kept_batches(JobLedger& ledger, const std::vector<AssetPlan>& plans,
                       const BatchPlanInputs& inputs) {
  std::map<std::string, size_t> index;
  for (size_t a = 0; a < plans.size(); ++a) index[plans[a].render.id] = a;
  BatchPlan plan;
  std::set<size_t> placed;
  if (const std::optional<std::string> stored = ledger.job_value("batches")) {
    const json batches = json::parse(*stored, nullptr, /*allow_exceptions=*/false);
    for (const json& batch : batches.is_array() ? batches : json::array()) {
      std::vector<size_t> members;
      for (const json& id : batch) {
        const auto it = id.is_string() ? index.find(id.get<std::string>()) : index.end();
        if (it == index.end() || placed.count(it->second) > 0) break;
        members.push_back(it->second);
      }
      const bool fits =
          members.size() == batch.size() && members.size() >= 2 &&
          static_cast<int64_t>(members.size()) <= inputs.batch_max &&
          std::all_of(members.begin(), members.end(), [&](size_t a) {
            return batch_key(plans[a].render) == batch_key(plans[members.front()].render);
          });
      if (!fits) {
        MF_LOG(Warn, "farm") << "a batch of the first run (" << batch.dump()
                             << ") no longer fits the manifest; its assets are batched again";
        continue;
      }
      placed.insert(members.begin(), members.end());
      add_batch(plan, std::move(members));
    }
  }
  for (std::vector<size_t>& batch : plan_batches(plans, inputs, placed).batches) {
    add_batch(plan, std::move(batch));
  }
  json ids = json::array();
  for (const std::vector<size_t>& batch : plan.batches) {
    json members = json::array();
    for (size_t a : batch) members.push_back(plans[a].render.id);
    ids.push_back(members);
  }
  ledger.set_job_value("batches", ids.dump());
  return plan;
}

}  // namespace motionfarm::coordinator
