// The per-asset keys that take more than a scalar read: the layers an asset's keys come from, and
// the readers of durations, formats, sampler overrides and extension settings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/manifest.h"
#include "coordinator/manifest_diagnostics.h"
#include "coordinator/manifest_sources.h"
#include "coordinator/manifest_yaml.h"

namespace motionfarm::coordinator {

// The layers of per-asset keys for one asset, most specific first: its own keys, its glob/csv
// entry's, then `defaults:`. Borrows them: they must outlive the AssetLayers.
class AssetLayers {
 public:
  AssetLayers(const AssetEntry& entry, const Mapping* defaults) {
    layers_.push_back(&entry.own);
    layers_.push_back(&entry.shared);
    if (defaults) layers_.push_back(defaults);
  }
  // The most specific value of `key`, or null.
  const MappingEntry* find(const std::string& key) const {
    const int level = level_of(key);
    return level < 0 ? nullptr : &layers_[level]->at(key);
  }
  // The layer index holding `key` (0 = the asset's own), or -1.
  int level_of(const std::string& key) const {
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (layers_[i]->count(key)) return static_cast<int>(i);
    }
    return -1;
  }
  // Every value of `key`, most specific first (for mappings merged key by key: `extension`).
  std::vector<const MappingEntry*> all(const std::string& key) const {
    std::vector<const MappingEntry*> found;
    for (const Mapping* layer : layers_) {
      if (const auto it = layer->find(key); it != layer->end()) found.push_back(&it->second);
    }
    return found;
  }

 private:
  std::vector<const Mapping*> layers_;
};

// "5s", "2.5s" or a plain number of seconds; positive.
std::optional<double> read_duration(const Located& value, Diagnostics& diagnostics);

// The nearest positive multiple of `stride`.
int64_t nearest_multiple(int64_t value, int64_t stride);

// "2.5", "16": numbers as a user wrote them, for messages.
std::string format_number(double value);

// A list (`[mp4, webm]`) or, as a CSV cell holds it, one text with names separated by commas,
// semicolons or spaces. Each must be a name of io/output_format.h, once.
std::optional<std::vector<std::string>> read_formats(const Located& value,
                                                     Diagnostics& diagnostics);

// Applies `sampler`, `steps`, `shift`, `guidance` and `negative_prompt` from the layers.
bool resolve_sampler(const AssetLayers& layers, SamplerSettings& sampler, Diagnostics& diagnostics);

// Reads `extension`, merged key by key across the layers; `facts` (may be null) bounds
// segment_frames.
bool resolve_extension(const AssetLayers& layers, const ModelFacts* facts,
                       ExtensionSettings& extension, Diagnostics& diagnostics);

}  // namespace motionfarm::coordinator
