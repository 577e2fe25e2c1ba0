#include "coordinator/manifest_yaml.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator/did_you_mean.h"

namespace motionfarm::coordinator {

SourcePosition Located::position() const {
  if (fixed) return *fixed;
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

Located Located::child(const YAML::Node& child_node) const { return {child_node, file, fixed}; }

namespace {

// Counts nodes with aliases expanded; stops as soon as the budget is spent.
bool within_node_budget(const YAML::Node& node, uint64_t& budget) {
  if (budget == 0) return false;
  --budget;
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (!within_node_budget(item, budget)) return false;
    }
  } else if (node.IsMap()) {
    for (const auto& entry : node) {
      if (!within_node_budget(entry.first, budget) || !within_node_budget(entry.second, budget)) {
        return false;
      }
    }
  }
  return true;
}

std::string scalar_text(const YAML::Node& node) {
  return node.IsScalar() ? "'" + node.Scalar() + "'" : describe_node(node);
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "a scalar";
}

std::optional<Located> load_yaml_file(const std::string& path, const YamlLimits& limits,
                                      Diagnostics& diagnostics) {
  const SourcePosition file_only{path, 0, 0};
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    diagnostics.error(file_only, std::filesystem::exists(path, error)
                                     ? "not a regular file: give the path of a YAML manifest"
                                     : "no such file");
    return std::nullopt;
  }
  const uint64_t size = std::filesystem::file_size(path, error);
  if (!error && size > limits.max_file_bytes) {
    diagnostics.error(file_only, "the manifest is " + std::to_string(size) +
                                     " bytes, over the limit of " +
                                     std::to_string(limits.max_file_bytes) +
                                     ": split the job, or list the assets in a csv: file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error(file_only, std::string("cannot read: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();

  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::ParserException& parse_error) {
    diagnostics.error({path, parse_error.mark.line + 1, parse_error.mark.column + 1},
                      "YAML syntax error: " + parse_error.msg);
    return std::nullopt;
  } catch (const YAML::Exception& other) {
    diagnostics.error(file_only, std::string("cannot parse as YAML: ") + other.what());
    return std::nullopt;
  }
  if (!root.IsDefined() || root.IsNull()) {
    diagnostics.error({path, 1, 1}, "the manifest is empty: start from configs/examples/job.yaml");
    return std::nullopt;
  }
  uint64_t budget = limits.max_nodes;
  if (!within_node_budget(root, budget)) {
    diagnostics.error({path, 1, 1},
                      "the manifest expands to more than " + std::to_string(limits.max_nodes) +
                          " YAML nodes (aliases counted at every use): remove nested anchors/"
                          "aliases, or list the assets in a csv: file");
    return std::nullopt;
  }
  return Located{root, path, std::nullopt};
}

Mapping read_mapping(const Located& mapping, const std::string& what,
                     const std::vector<std::string>& known, Diagnostics& diagnostics) {
  Mapping entries;
  if (!mapping.node.IsMap()) {
    diagnostics.error(
        mapping.position(),
        "'" + what + "' must be a mapping of keys to values, got " + describe_node(mapping.node));
    return entries;
  }
  for (const auto& entry : mapping.node) {
    const Located key = mapping.child(entry.first);
    if (!entry.first.IsScalar()) {
      diagnostics.error(key.position(), "keys of '" + what + "' must be plain names, got " +
                                            describe_node(entry.first));
      continue;
    }
    const std::string name = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      diagnostics.error(key.position(), "unknown key '" + name + "' in '" + what + "'" +
                                            did_you_mean(name, known) +
                                            "; valid keys: " + join_names(known));
      continue;
    }
    const auto [existing, inserted] =
        entries.emplace(name, MappingEntry{key.position(), mapping.child(entry.second)});
    if (!inserted) {
      diagnostics.error(key.position(),
                        "key '" + name + "' is given twice in '" + what + "' (first at " +
                            existing->second.key_position.to_string() + "): keep one");
    }
  }
  return entries;
}

std::optional<std::string> read_string(const Located& value, const std::string& key,
                                       Diagnostics& diagnostics) {
  if (!value.node.IsScalar()) {
    diagnostics.error(value.position(),
                      "'" + key + "' must be a text value, got " + describe_node(value.node));
    return std::nullopt;
  }
  return value.node.Scalar();
}

std::optional<int64_t> read_integer(const Located& value, const std::string& key,
                                    Diagnostics& diagnostics) {
  if (value.node.IsScalar()) {
    // std::stoll accepts "12abc" and yaml-cpp's as<> accepts "0x10": require plain decimal.
    const std::string& text = value.node.Scalar();
    size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    bool digits = text.size() > start;
    for (size_t i = start; i < text.size(); ++i) digits = digits && std::isdigit(uint8_t(text[i]));
    if (digits) {
      errno = 0;
      char* end = nullptr;
      const long long parsed = std::strtoll(text.c_str(), &end, 10);
      if (errno != ERANGE) return parsed;
      diagnostics.error(value.position(), "'" + key + "' " + text + " is out of range");
      return std::nullopt;
    }
  }
  diagnostics.error(value.position(),
                    "'" + key + "' must be a whole number, got " + scalar_text(value.node));
  return std::nullopt;
}

std::optional<double> read_number(const Located& value, const std::string& key,
                                  Diagnostics& diagnostics) {
  if (value.node.IsScalar()) {
    const std::string& text = value.node.Scalar();
    char* end = nullptr;
    errno = 0;
    const double parsed = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size() && errno != ERANGE &&
        std::isfinite(parsed)) {
      return parsed;
    }
  }
  diagnostics.error(value.position(),
                    "'" + key + "' must be a number, got " + scalar_text(value.node));
  return std::nullopt;
}

std::optional<bool> read_bool(const Located& value, const std::string& key,
                              Diagnostics& diagnostics) {
  if (value.node.IsScalar()) {
    const std::string& text = value.node.Scalar();
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  diagnostics.error(value.position(),
                    "'" + key + "' must be true or false, got " + scalar_text(value.node));
  return std::nullopt;
}

}  // namespace motionfarm::coordinator
