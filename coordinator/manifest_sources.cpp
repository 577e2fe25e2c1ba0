#include "coordinator/manifest_sources.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator/did_you_mean.h"
#include "coordinator/manifest_csv.h"

namespace motionfarm::coordinator {
namespace fs = std::filesystem;

const std::vector<std::string>& asset_keys() {
  static const std::vector<std::string> keys = {
      "id",      "image", "prompt",     "negative_prompt", "seed",      "duration",
      "frames",  "fps",   "resolution", "formats",         "priority",  "extension",
      "sampler", "steps", "shift",      "guidance",        "max_frames"};
  return keys;
}

std::string resolve_relative_path(const std::string& path, const std::string& written_in) {
  fs::path resolved(path);
  if (resolved.is_relative()) resolved = fs::absolute(written_in).parent_path() / resolved;
  return resolved.lexically_normal().string();
}

namespace {

// Keys an entry of each kind may carry besides its own (`glob` / `csv`).
std::vector<std::string> keys_without(std::initializer_list<const char*> removed,
                                      const char* added) {
  std::vector<std::string> keys;
  keys.emplace_back(added);
  for (const std::string& key : asset_keys()) {
    if (std::find_if(removed.begin(), removed.end(), [&](const char* r) { return key == r; }) ==
        removed.end()) {
      keys.push_back(key);
    }
  }
  return keys;
}

// A scalar value that stands in for a key nobody wrote (the glob's file as `image`), reported at
// the position that implied it.
MappingEntry implied_value(const std::string& text, const SourcePosition& where) {
  return {where, Located{YAML::Node(text), where.file, where}};
}

// glob(3) takes the pattern as one string: escape the folder part, which is not a pattern.
std::string escape_glob(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// Owns a glob_t's results.
class GlobResult {
 public:
  explicit GlobResult(const std::string& pattern) {
    status_ = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &result_);
  }
  ~GlobResult() { ::globfree(&result_); }
  GlobResult(const GlobResult&) = delete;
  GlobResult& operator=(const GlobResult&) = delete;

  int status() const { return status_; }
  std::vector<std::string> paths() const {
    if (status_ != 0) return {};
    return {result_.gl_pathv, result_.gl_pathv + result_.gl_pathc};
  }

 private:
  glob_t result_{};
  int status_ = 0;
};

void expand_glob(const Located& item, Mapping entry, const YamlLimits&, Diagnostics& diagnostics,
                 std::vector<AssetEntry>& out) {
  const MappingEntry& glob_value = entry.at("glob");
  const auto pattern = read_string(glob_value.value, "glob", diagnostics);
  if (!pattern) return;
  const SourcePosition where = glob_value.value.position();
  fs::path full(*pattern);
  std::string full_pattern = *pattern;
  if (full.is_relative()) {
    full_pattern = escape_glob(fs::absolute(item.file).parent_path().lexically_normal().string()) +
                   "/" + *pattern;
  }
  const GlobResult matched(full_pattern);
  std::vector<std::string> files;
  for (const std::string& path : matched.paths()) {
    std::error_code error;
    if (fs::is_regular_file(path, error)) files.push_back(fs::path(path).lexically_normal());
  }
  if (files.empty()) {
    const fs::path folder = fs::path(resolve_relative_path(*pattern, item.file)).parent_path();
    std::error_code error;
    const std::string why =
        fs::is_directory(folder, error)
            ? "matches no file"
            : "matches no file: the folder " + folder.string() + " does not exist";
    diagnostics.error(where, "glob '" + *pattern + "' " + why +
                                 " (relative patterns start from the manifest's folder)");
    return;
  }
  entry.erase("glob");
  for (const std::string& file : files) {
    AssetEntry asset;
    asset.own.emplace("image", implied_value(file, where));
    asset.own.emplace("id", implied_value(fs::path(file).stem().string(), where));
    asset.shared = entry;
    asset.source = where;
    out.push_back(std::move(asset));
  }
}

void expand_csv(const Located& item, Mapping entry, const YamlLimits& limits,
                Diagnostics& diagnostics, std::vector<AssetEntry>& out) {
  const MappingEntry& csv_value = entry.at("csv");
  const auto relative = read_string(csv_value.value, "csv", diagnostics);
  if (!relative) return;
  const SourcePosition where = csv_value.value.position();
  const std::string path = resolve_relative_path(*relative, item.file);
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    diagnostics.error(where,
                      "csv file " + path +
                          (fs::exists(path, error) ? " is not a regular file" : " does not exist") +
                          " (relative paths start from the manifest's folder)");
    return;
  }
  if (fs::file_size(path, error) > limits.max_file_bytes) {
    diagnostics.error(where, "csv file " + path + " is over " +
                                 std::to_string(limits.max_file_bytes) + " bytes: split the job");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    diagnostics.error(where, "cannot read csv file " + path);
    return;
  }
  const std::vector<CsvRow> rows = parse_csv(text.str(), path, diagnostics);
  if (rows.empty()) {
    diagnostics.error(where, "csv file " + path +
                                 " has no header row: the first line names the "
                                 "columns, e.g. id,image,prompt");
    return;
  }
  // Columns: any per-asset key except `extension`, which is a mapping a cell cannot hold.
  std::vector<std::string> columns_known;
  for (const std::string& key : asset_keys()) {
    if (key != "extension") columns_known.push_back(key);
  }
  const CsvRow& header = rows.front();
  std::vector<std::string> columns;
  bool header_ok = true;
  for (const CsvCell& cell : header.cells) {
    if (std::find(columns_known.begin(), columns_known.end(), cell.text) == columns_known.end()) {
      diagnostics.error(cell.where, "unknown CSV column '" + cell.text + "'" +
                                        did_you_mean(cell.text, columns_known) +
                                        "; valid columns: " + join_names(columns_known));
      header_ok = false;
    } else if (std::find(columns.begin(), columns.end(), cell.text) != columns.end()) {
      diagnostics.error(cell.where, "CSV column '" + cell.text + "' appears twice: keep one");
      header_ok = false;
    }
    columns.push_back(cell.text);
  }
  if (!header_ok) return;
  if (rows.size() == 1) {
    diagnostics.error(where, "csv file " + path + " has a header but no rows");
    return;
  }
  entry.erase("csv");
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (row.cells.size() != columns.size()) {
      diagnostics.error(row.where, "this CSV row has " + std::to_string(row.cells.size()) +
                                       " fields, the header has " + std::to_string(columns.size()) +
                                       ": quote fields that contain commas (\"a, b\")");
      continue;
    }
    AssetEntry asset;
    for (size_t c = 0; c < columns.size(); ++c) {
      const CsvCell& cell = row.cells[c];
      if (cell.text.empty()) continue;  // an empty cell leaves the key to the entry and defaults
      asset.own.emplace(columns[c], implied_value(cell.text, cell.where));
    }
    asset.shared = entry;
    asset.source = row.where;
    out.push_back(std::move(asset));
  }
}

}  // namespace

std::vector<AssetEntry> expand_asset_sources(const Located& assets, const YamlLimits& limits,
                                             Diagnostics& diagnostics) {
  std::vector<AssetEntry> entries;
  if (!assets.node.IsSequence()) {
    diagnostics.error(
        assets.position(),
        "'assets' must be a list (each item starts with '- '), got " + describe_node(assets.node));
    return entries;
  }
  static const std::vector<std::string> glob_keys = keys_without({"id", "image"}, "glob");
  static const std::vector<std::string> csv_keys = keys_without({"id", "image"}, "csv");
  for (const YAML::Node& node : assets.node) {
    const Located item = assets.child(node);
    if (!node.IsMap()) {
      diagnostics.error(item.position(),
                        "an asset must be a mapping (id:, image:, prompt:, ...), "
                        "a glob: entry or a csv: entry, got " +
                            describe_node(node));
      continue;
    }
    const bool is_glob = static_cast<bool>(node["glob"]);
    const bool is_csv = static_cast<bool>(node["csv"]);
    if (is_glob && is_csv) {
      diagnostics.error(item.position(),
                        "an asset entry has both glob: and csv:: split it into two entries");
      continue;
    }
    if (is_glob) {
      expand_glob(item, read_mapping(item, "assets[glob]", glob_keys, diagnostics), limits,
                  diagnostics, entries);
    } else if (is_csv) {
      expand_csv(item, read_mapping(item, "assets[csv]", csv_keys, diagnostics), limits,
                 diagnostics, entries);
    } else {
      AssetEntry asset;
      asset.own = read_mapping(item, "asset", asset_keys(), diagnostics);
      asset.source = item.position();
      entries.push_back(std::move(asset));
    }
    // Checked per entry, so a glob over a huge folder or a huge CSV stops the expansion here
    // instead of resolving (and probing the image of) every asset it made.
    if (entries.size() > limits.max_assets) {
      diagnostics.error(item.position(),
                        "the manifest has more than " + std::to_string(limits.max_assets) +
                            " assets (" + std::to_string(entries.size()) +
                            " once this entry is expanded): split the job into several "
                            "manifests");
      return {};
    }
  }
  return entries;
}

}  // namespace motionfarm::coordinator
