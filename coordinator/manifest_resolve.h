// Applies defaults and overrides to one asset entry and decides everything about the asset: seed,
// frames, resolution, formats, sampler and extension settings, and its segment plan.
//
// Order, most specific first: the asset's own keys (explicit item or CSV row), its glob/csv
// entry's keys, `defaults:`, the job's `sampler:` section, the model preset's render defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "coordinator/manifest.h"
#include "coordinator/manifest_diagnostics.h"
#include "coordinator/manifest_sources.h"
#include "coordinator/manifest_yaml.h"

namespace motionfarm::coordinator {

// Seeds live in the ledger's signed 64-bit integers: [0, 2^63).
inline constexpr uint64_t kMaxSeed = (uint64_t{1} << 63) - 1;
// `max_frames` when a manifest does not set it.
inline constexpr int64_t kDefaultMaxFrames = 1000;

// The seed of an asset without `seed:`; stable across runs, machines and releases (it decides the
// noise, so changing it changes every clip): splitmix64(job_seed XOR fnv1a64(id)) >> 1.
uint64_t derive_asset_seed(uint64_t job_seed, const std::string& id);

// Ids and job names become folder and file names: no '/', '\\', control characters, leading '.'
// or surrounding spaces. Returns the problem, or "" when `name` is fine.
std::string name_problem(const std::string& name);

struct ResolveContext {
  const ModelFacts* facts = nullptr;  // null when the preset is unknown: model checks are skipped
  SamplerSettings sampler;            // the job's `sampler:` section
  uint64_t job_seed = 0;
  const Mapping* defaults = nullptr;  // `defaults:`; may be null
  bool check_images = true;
};

struct ResolvedAsset {
  AssetSpec spec;
  SourcePosition id_position;  // where the id was written (or implied), for duplicate-id errors
};

// Returns nullopt (after reporting why) when the asset cannot run. `index` is its position in the
// expanded asset list.
std::optional<ResolvedAsset> resolve_asset(const AssetEntry& entry, int64_t index,
                                           const ResolveContext& context, Diagnostics& diagnostics);

// Applies the sampler keys of `keys` (sampler, steps, shift, guidance, negative_prompt) to
// `sampler`; false when one is bad (reported at its position).
bool apply_sampler_overrides(const Mapping& keys, SamplerSettings& sampler,
                             Diagnostics& diagnostics);

// "WxH" -> (W, H); nullopt for anything else.
std::optional<std::pair<int64_t, int64_t>> parse_resolution(const std::string& text);

// `resolution: auto`: the size with sides that are multiples of `stride`, close to `pixel_area`
// pixels at the image's aspect, rounding each side down as the reference pipeline does
// (never below one stride).
std::pair<int64_t, int64_t> auto_resolution(int64_t image_width, int64_t image_height,
                                            int64_t pixel_area, int64_t stride);

}  // namespace motionfarm::coordinator
