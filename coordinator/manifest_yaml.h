// Reading YAML values with their source positions, for the manifest reader.
//
// Every reader reports a problem to Diagnostics at the value's position and returns nullopt, so
// the caller carries on and the user sees every problem at once. Values also come from CSV cells
// (the `csv:` asset source); those carry the cell's position instead of a YAML mark.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/manifest_diagnostics.h"

namespace motionfarm::coordinator {

// A value and where it came from. For YAML values the node's own mark gives the position; for a
// CSV cell (a scalar node built from the cell's text) `fixed` holds the cell's position.
struct Located {
  YAML::Node node;
  std::string file;
  std::optional<SourcePosition> fixed;

  SourcePosition position() const;
  // A child of this value (a sequence item, a mapping value) from the same source.
  Located child(const YAML::Node& child_node) const;
};

// Limits that keep a hostile or broken manifest from exhausting memory or time: yaml-cpp shares
// an aliased node instead of copying it, but walking "billion laughs" aliases visits it again for
// every reference.
struct YamlLimits {
  uint64_t max_file_bytes = uint64_t{64} << 20;  // the manifest, and each CSV file it names
  uint64_t max_nodes = 1'000'000;                // nodes visited with aliases expanded
  uint64_t max_assets = 100'000;                 // assets once globs and CSV rows are expanded
};

// Loads one YAML document. Reports a missing/unreadable/oversized file, a syntax error (at
// yaml-cpp's position), an empty document or a node count over the limit, and returns nullopt.
std::optional<Located> load_yaml_file(const std::string& path, const YamlLimits& limits,
                                      Diagnostics& diagnostics);

// One key of a mapping: where the key is written and its value.
struct MappingEntry {
  SourcePosition key_position;
  Located value;
};
using Mapping = std::map<std::string, MappingEntry>;

// The entries of a mapping `what` (e.g. "output"). Reports a value that is not a mapping, keys
// that are not plain scalars, keys given twice (both positions) and keys not in `known` (with the
// closest known key). Only known keys are returned.
Mapping read_mapping(const Located& mapping, const std::string& what,
                     const std::vector<std::string>& known, Diagnostics& diagnostics);

// Typed scalars. `key` names the value in messages ("'fps' must be a number, got 'fast'").
// Text must be UTF-8: it ends up in JSON (the ledger's facts, the tasks sent to ranks, reports),
// which cannot carry other bytes, so a Latin-1 CSV is refused here with the byte's position.
std::optional<std::string> read_string(const Located& value, const std::string& key,
                                       Diagnostics& diagnostics);
std::optional<int64_t> read_integer(const Located& value, const std::string& key,
                                    Diagnostics& diagnostics);
std::optional<double> read_number(const Located& value, const std::string& key,
                                  Diagnostics& diagnostics);
std::optional<bool> read_bool(const Located& value, const std::string& key,
                              Diagnostics& diagnostics);

// "a mapping", "a list", "a scalar", "nothing": for "must be X, got Y" messages.
std::string describe_node(const YAML::Node& node);

}  // namespace motionfarm::coordinator
