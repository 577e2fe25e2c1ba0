#include "coordinator/manifest_yaml.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
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

// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or npos when `text` is UTF-8.
size_t invalid_utf8_offset(const std::string& text) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t lead = byte(i);
    size_t length = 0;
    uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    if (byte(i + 1) < low || byte(i + 1) > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return std::string::npos;
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
  const std::string& text = value.node.Scalar();
  if (const size_t bad = invalid_utf8_offset(text); bad != std::string::npos) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned>(uint8_t(text[bad])));
    diagnostics.error(value.position(), "'" + key + "' is not UTF-8 text (byte " + hex +
                                            " at offset " + std::to_string(bad) +
                                            " of the value): save the file as UTF-8");
    return std::nullopt;
  }
  return text;
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
