// Turns the items of `assets:` into one entry per asset: an explicit asset, every file a `glob:`
// matches, or every row of a `csv:` file.
#pragma once

#include <string>
#include <vector>

#include "coordinator/manifest_diagnostics.h"
#include "coordinator/manifest_yaml.h"

namespace motionfarm::coordinator {

// The per-asset keys (docs/manifest.md, "Asset keys"), in the order the reference lists them.
const std::vector<std::string>& asset_keys();

// One asset before defaults are applied: its own keys (an explicit item, a CSV row, or the
// file a glob matched as `image` and its stem as `id`) and the keys its glob/csv entry gives to
// every asset it makes. `own` wins over `shared`, which wins over the manifest's defaults.
struct AssetEntry {
  Mapping own;
  Mapping shared;
  SourcePosition source;  // the list item, the CSV row, or the glob entry's pattern
};

// Expands the `assets:` list. Reports items of the wrong shape, unknown keys, a glob that matches
// nothing, CSV files that are missing or have unknown columns / rows of the wrong width.
// `limits` bounds the CSV files' sizes too.
std::vector<AssetEntry> expand_asset_sources(const Located& assets, const YamlLimits& limits,
                                             Diagnostics& diagnostics);

// Resolves `path` (as written in the file `written_in`) against that file's folder; absolute
// paths stay as they are. The result is lexically normal ("a/./b/../c" -> "a/c").
std::string resolve_relative_path(const std::string& path, const std::string& written_in);

}  // namespace motionfarm::coordinator
