#include "coordinator/batch_plan.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/check.h"

namespace motionfarm::coordinator {

std::string batch_key(const rank::AssetRender& asset) {
  std::ostringstream key;
  key.precision(17);
  key << asset.width << "x" << asset.height << " frames";
  for (const rank::SegmentWork& segment : asset.segments) {
    key << " " << segment.frames << "/" << segment.context_frames << "/" << segment.new_frames;
  }
  key << " " << asset.sampler << " steps " << asset.steps << " shift " << asset.shift
      << " guidance " << (asset.guidance ? std::to_string(*asset.guidance) : "preset") << " anchor "
      << asset.anchor << " renoise " << asset.renoise << " color_match " << asset.color_match;
  return key.str();
}

int64_t tokens_per_member(const ModelFacts& facts, const rank::AssetRender& asset,
                          int64_t sequence_parallel) {
  MF_CHECK(facts.spatial_stride > 0 && facts.temporal_stride > 0 && sequence_parallel > 0,
           ConfigError, "batch planning needs the model's strides and the layout");
  int64_t frames = 1;
  for (const rank::SegmentWork& segment : asset.segments) frames = std::max(frames, segment.frames);
  const int64_t latent_frames = (frames - 1) / facts.temporal_stride + 1;
  const int64_t tokens =
      latent_frames * (asset.height / facts.spatial_stride) * (asset.width / facts.spatial_stride);
  return (tokens + sequence_parallel - 1) / sequence_parallel;
}

int64_t activation_bytes_per_member(const ModelFacts& facts, const rank::AssetRender& asset,
                                    int64_t element_bytes, int64_t sequence_parallel) {
  MF_CHECK_GT(element_bytes, 0, ConfigError, "batch planning needs the compute dtype's size");
  const int64_t local_tokens = tokens_per_member(facts, asset, sequence_parallel);
  // docs/models.md: bytes per token in bf16; Wan2.2 TI2V adds its per-token modulation.
  int64_t bf16_bytes_per_token = 22 * facts.dim + 4 * facts.ffn_dim;
  if (facts.model_type == "ti2v") bf16_bytes_per_token += 24 * facts.dim;
  return local_tokens * bf16_bytes_per_token * element_bytes / 2;
}

int64_t memory_batch_size(int64_t free_bytes, int64_t per_member, int64_t batch_max) {
  MF_CHECK_GE(batch_max, 1, ConfigError, "resources.batch_max must be at least 1");
  if (per_member <= 0) return batch_max;
  const double usable = 0.8 * static_cast<double>(std::max<int64_t>(free_bytes, 0));
  const auto fit = static_cast<int64_t>(usable / static_cast<double>(per_member));
  return std::clamp<int64_t>(fit, 1, batch_max);
}

BatchPlan plan_batches(const std::vector<AssetPlan>& plans, const BatchPlanInputs& inputs,
                       const std::set<size_t>& exclude) {
  MF_CHECK(inputs.facts, Error, "plan_batches needs the model's facts");
  BatchPlan plan;
  // With several groups, at least four units of work per group: a batch is a coarser unit than an
  // asset, and the job's end, when fewer units remain than groups, idles the others. One group
  // has no such tail.
  const auto assets = static_cast<int64_t>(plans.size());
  const int64_t most = inputs.groups > 1
                           ? std::min<int64_t>(inputs.batch_max, assets / (4 * inputs.groups))
                           : inputs.batch_max;
  if (most <= 1) return plan;
  // Manifest order within each key: the first assets of a key form its first batch.
  std::map<std::string, std::vector<size_t>> by_key;
  std::vector<std::string> key_order;
  for (size_t a = 0; a < plans.size(); ++a) {
    if (exclude.count(a) > 0) continue;
    const std::string key = batch_key(plans[a].render);
    auto [it, inserted] = by_key.try_emplace(key);
    if (inserted) key_order.push_back(key);
    it->second.push_back(a);
  }
  for (const std::string& key : key_order) {
    const std::vector<size_t>& assets = by_key[key];
    const rank::AssetRender& shape = plans[assets.front()].render;
    int64_t size =
        memory_batch_size(inputs.free_bytes,
                          activation_bytes_per_member(*inputs.facts, shape, inputs.element_bytes,
                                                      inputs.sequence_parallel),
                          most);
    if (inputs.saturation_tokens > 0) {
      const int64_t tokens = tokens_per_member(*inputs.facts, shape, inputs.sequence_parallel);
      size = std::min(size, std::max<int64_t>(1, inputs.saturation_tokens / tokens));
    }
    for (size_t i = 0; i < assets.size(); i += static_cast<size_t>(size)) {
      const size_t end = std::min(assets.size(), i + static_cast<size_t>(size));
      if (end - i < 2) continue;  // alone: no batch
      plan.batches.emplace_back(assets.begin() + static_cast<std::ptrdiff_t>(i),
                                assets.begin() + static_cast<std::ptrdiff_t>(end));
      plan.largest = std::max<int64_t>(plan.largest, static_cast<int64_t>(end - i));
    }
  }
  return plan;
}

}  // namespace motionfarm::coordinator
