// Farm batching: which assets sample their segments together, one DiT forward per step over all
// of them (docs/farm.md "Batching").
//
// Two assets may share a forward when everything that shapes the sampling is equal: the latent
// shape (size and every segment's frames), the sampler, steps, shift and guidance, and the
// extension settings (the batch key). They then run in lockstep, segment by segment, expert phase
// by expert phase. The batches are fixed when the job starts, in manifest order, so a rerun forms
// the same ones and each asset's latents stay bitwise those of an uninterrupted run (a B > 1
// matmul may round differently from B = 1, so the batch's composition is part of the result).
//
// How many fit in one forward follows from memory: each member adds its DiT activations
// (docs/models.md's estimate, L × (22·dim + 4·ffn_dim) bytes per block in bf16, L the tokens a
// rank holds), and a batch takes at most what fits in 80 % of the memory left after the model
// loaded, capped by resources.batch_max. Nor more than it takes to fill a forward: once a forward
// holds enough tokens for the device's matmuls to run at full speed, more members only make it
// longer (measured on the CPU: 48-token clips sample 1.2x faster in fours, 108- and 192-token
// ones gain nothing measurable, docs/benchmarks.md). Short clips batch; long, large ones run alone.
// With several model groups a batch also takes at most assets ÷ (4 × groups) members, so every
// group gets at least four units of work and the job's tail (fewer units left than groups) stays
// short: a thousand assets on 32 groups are not limited by it, a dozen on four groups do not batch.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "coordinator/asset_plan.h"
#include "coordinator/manifest_model_facts.h"

namespace motionfarm::coordinator {

// What must be equal for two assets to share a forward (a readable string, for logs).
std::string batch_key(const rank::AssetRender& asset);

// The tokens of `asset`'s longest segment one rank holds when its group splits the sequence over
// `sequence_parallel` ranks.
int64_t tokens_per_member(const ModelFacts& facts, const rank::AssetRender& asset,
                          int64_t sequence_parallel);

// Tokens per forward past which batching stops paying on a device (estimates: the CPU figure is
// measured by bench/farm_batching, the GPU one is where an H100's bf16 GEMMs of a Wan DiT's
// widths reach their plateau, not measured here).
inline constexpr int64_t kCpuSaturationTokens = 192;
inline constexpr int64_t kGpuSaturationTokens = 8192;

// The DiT activation bytes one more batch member costs on each rank of a group whose sequence is
// split over `sequence_parallel` ranks, computing with `element_bytes` per value (2: bf16 on a
// GPU, 4: float32 on a CPU), for the longest segment of `asset`.
int64_t activation_bytes_per_member(const ModelFacts& facts, const rank::AssetRender& asset,
                                    int64_t element_bytes, int64_t sequence_parallel);

// Members per forward: as many as fit in 80 % of `free_bytes` at `per_member` bytes each,
// between 1 and `batch_max`.
int64_t memory_batch_size(int64_t free_bytes, int64_t per_member, int64_t batch_max);

struct BatchPlanInputs {
  const ModelFacts* facts = nullptr;  // borrowed
  int64_t free_bytes = 0;             // per rank, after the model loaded
  int64_t element_bytes = 4;
  int64_t sequence_parallel = 1;
  int64_t batch_max = 1;  // resources.batch_max
  int64_t groups = 1;     // model groups sharing the job
  // Tokens per forward past which batching stops paying (kCpuSaturationTokens, ...); 0: no limit.
  int64_t saturation_tokens = 0;
};

struct BatchPlan {
  // The assets (indices into the plans) of each batch of two or more, in manifest order.
  std::vector<std::vector<size_t>> batches;
  int64_t largest = 1;  // the most members of any batch
};

// Groups assets with one batch key, in manifest order, into batches of the size that fits their
// shape (memory_batch_size, the saturation tokens, the groups); an asset left alone is in no
// batch, and so is any in `exclude` (already in a batch, say).
BatchPlan plan_batches(const std::vector<AssetPlan>& plans, const BatchPlanInputs& inputs,
                       const std::set<size_t>& exclude = {});

}  // namespace motionfarm::coordinator
