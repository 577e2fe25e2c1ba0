#include "coordinator/manifest_asset_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "coordinator/did_you_mean.h"
#include "coordinator/manifest_segments.h"
#include "io/output_format.h"

namespace motionfarm::coordinator {
namespace {

constexpr int kMaxSteps = 1000;
constexpr double kMaxGuidance = 50.0;

// Reads the optional value of `key` with `reader` into `target`; false when it was given and bad.
template <class T, class Reader>
bool read_optional(const AssetLayers& layers, const std::string& key, Reader reader, T& target,
                   Diagnostics& diagnostics) {
  const MappingEntry* entry = layers.find(key);
  if (!entry) return true;
  const auto value = reader(entry->value, key, diagnostics);
  if (!value) return false;
  target = static_cast<T>(*value);
  return true;
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (const io::OutputFormatInfo& info : io::output_formats()) names.emplace_back(info.name);
  return names;
}

}  // namespace

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// "5s", "2.5s" or a plain number of seconds.
std::optional<double> read_duration(const Located& value, Diagnostics& diagnostics) {
  if (value.node.IsScalar()) {
    std::string text = value.node.Scalar();
    if (!text.empty() && text.back() == 's') text.pop_back();
    char* end = nullptr;
    const double seconds = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(seconds)) {
      if (seconds > 0) return seconds;
      diagnostics.error(value.position(), "duration must be positive, got " + value.node.Scalar() +
                                              ": give seconds like \"5s\", or frames: N");
      return std::nullopt;
    }
  }
  diagnostics.error(value.position(), "duration must be seconds like \"5s\" or \"2.5s\", got " +
                                          (value.node.IsScalar() ? "'" + value.node.Scalar() + "'"
                                                                 : describe_node(value.node)) +
                                          " (for a frame count use frames: 81)");
  return std::nullopt;
}

// The nearest positive multiple of `stride`.
int64_t nearest_multiple(int64_t value, int64_t stride) {
  return std::max<int64_t>(stride, (value + stride / 2) / stride * stride);
}

std::optional<std::vector<std::string>> read_formats(const Located& value,
                                                     Diagnostics& diagnostics) {
  std::vector<std::pair<std::string, Located>> items;
  if (value.node.IsSequence()) {
    for (const YAML::Node& item : value.node) {
      const Located located = value.child(item);
      const auto name = read_string(located, "formats", diagnostics);
      if (!name) return std::nullopt;
      items.emplace_back(*name, located);
    }
  } else if (value.node.IsScalar()) {
    std::string text = value.node.Scalar();
    std::replace(text.begin(), text.end(), ',', ' ');
    std::replace(text.begin(), text.end(), ';', ' ');
    std::istringstream words(text);
    for (std::string word; words >> word;) items.emplace_back(word, value);
  } else {
    diagnostics.error(value.position(),
                      "formats must be a list like [mp4, webm], got " + describe_node(value.node));
    return std::nullopt;
  }
  if (items.empty()) {
    diagnostics.error(value.position(), "formats is empty: name at least one, e.g. [mp4]");
    return std::nullopt;
  }
  const std::vector<std::string> valid = format_names();
  std::vector<std::string> formats;
  bool ok = true;
  for (const auto& [name, where] : items) {
    if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
      diagnostics.error(where.position(), "unknown output format '" + name + "'" +
                                              did_you_mean(name, valid) +
                                              "; valid formats: " + join_names(valid));
      ok = false;
    } else if (std::find(formats.begin(), formats.end(), name) != formats.end()) {
      diagnostics.error(where.position(), "output format '" + name + "' is listed twice");
      ok = false;
    } else {
      formats.push_back(name);
    }
  }
  if (!ok) return std::nullopt;
  return formats;
}

bool resolve_sampler(const AssetLayers& layers, SamplerSettings& sampler,
                     Diagnostics& diagnostics) {
  bool ok = true;
  if (const MappingEntry* name = layers.find("sampler")) {
    const auto text = read_string(name->value, "sampler", diagnostics);
    if (!text) {
      ok = false;
    } else if (*text != "unipc" && *text != "euler") {
      diagnostics.error(name->value.position(), "unknown sampler '" + *text + "'" +
                                                    did_you_mean(*text, {"unipc", "euler"}) +
                                                    "; valid: unipc, euler");
      ok = false;
    } else {
      sampler.name = *text;
    }
  }
  ok = read_optional(layers, "steps", read_integer, sampler.steps, diagnostics) && ok;
  ok = read_optional(layers, "shift", read_number, sampler.shift, diagnostics) && ok;
  ok = read_optional(layers, "guidance", read_number, sampler.guidance, diagnostics) && ok;
  if (layers.find("guidance")) sampler.guidance_given = true;
  ok =
      read_optional(layers, "negative_prompt", read_string, sampler.negative_prompt, diagnostics) &&
      ok;
  if (const MappingEntry* steps = layers.find("steps");
      steps && (sampler.steps < 1 || sampler.steps > kMaxSteps)) {
    diagnostics.error(steps->value.position(), "steps must be between 1 and " +
                                                   std::to_string(kMaxSteps) + ", got " +
                                                   std::to_string(sampler.steps));
    ok = false;
  }
  if (const MappingEntry* shift = layers.find("shift"); shift && !(sampler.shift > 0)) {
    diagnostics.error(shift->value.position(),
                      "shift must be positive (Wan uses 3.0 at 720p, 5.0 at 480p), got " +
                          format_number(sampler.shift));
    ok = false;
  }
  if (const MappingEntry* guidance = layers.find("guidance");
      guidance && (sampler.guidance < 0 || sampler.guidance > kMaxGuidance)) {
    diagnostics.error(guidance->value.position(),
                      "guidance must be between 0 and " + format_number(kMaxGuidance) +
                          " (1 switches classifier-free guidance off), got " +
                          format_number(sampler.guidance));
    ok = false;
  }
  return ok;
}

bool resolve_extension(const AssetLayers& layers, const ModelFacts* facts,
                       ExtensionSettings& extension, Diagnostics& diagnostics) {
  static const std::vector<std::string> keys = {"segment_frames", "context_latent_frames", "anchor",
                                                "renoise", "color_match"};
  // Merged key by key: `defaults: {extension: {renoise: 0.1}}` and an asset's
  // `extension: {segment_frames: 49}` both apply.
  std::vector<Mapping> levels;
  for (const MappingEntry* entry : layers.all("extension")) {
    levels.push_back(read_mapping(entry->value, "extension", keys, diagnostics));
  }
  const auto find = [&](const std::string& key) -> const MappingEntry* {
    for (const Mapping& level : levels) {
      if (const auto it = level.find(key); it != level.end()) return &it->second;
    }
    return nullptr;
  };
  bool ok = true;
  const int64_t stride = facts ? facts->temporal_stride : 4;
  const int64_t max_segment = facts ? facts->max_frames_per_segment : 81;
  extension.segment_frames = max_segment;
  const MappingEntry* segment_frames = find("segment_frames");
  if (segment_frames) {
    if (const auto value = read_integer(segment_frames->value, "segment_frames", diagnostics)) {
      extension.segment_frames = *value;
      const SourcePosition where = segment_frames->value.position();
      if (*value < 1 + stride || (*value - 1) % stride != 0) {
        const int64_t nearest = 1 + std::llround(double(*value - 1) / double(stride)) * stride;
        const int64_t suggestion = std::clamp(nearest, 1 + stride, max_segment);
        diagnostics.error(where,
                          "segment_frames must be " + std::to_string(stride) + "n+1 and at least " +
                              std::to_string(1 + stride) + " (the VAE compresses " +
                              std::to_string(stride) + " frames into one latent frame), got " +
                              std::to_string(*value) + ": use " + std::to_string(suggestion));
        ok = false;
      } else if (*value > max_segment) {
        diagnostics.error(where, "segment_frames " + std::to_string(*value) + " is more than " +
                                     (facts ? facts->name : std::string("the model")) +
                                     " renders in one segment (" + std::to_string(max_segment) +
                                     "): use at most " + std::to_string(max_segment) +
                                     "; longer clips are chained from segments");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const MappingEntry* context = find("context_latent_frames")) {
    if (const auto value = read_integer(context->value, "context_latent_frames", diagnostics)) {
      extension.context_latent_frames = *value;
      const int64_t segment_latents = (extension.segment_frames - 1) / stride + 1;
      if (*value < 1 || (ok && *value >= segment_latents)) {
        diagnostics.error(context->value.position(),
                          "context_latent_frames must be at least 1 and less than the " +
                              std::to_string(segment_latents) +
                              " latent frames of a segment, got " + std::to_string(*value));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const MappingEntry* anchor = find("anchor")) {
    const auto value = read_bool(anchor->value, "anchor", diagnostics);
    ok = value.has_value() && ok;
    if (value) extension.anchor = *value;
  }
  if (const MappingEntry* color_match = find("color_match")) {
    const auto value = read_bool(color_match->value, "color_match", diagnostics);
    ok = value.has_value() && ok;
    if (value) extension.color_match = *value;
  }
  if (const MappingEntry* renoise = find("renoise")) {
    if (const auto value = read_number(renoise->value, "renoise", diagnostics)) {
      extension.renoise = *value;
      if (*value < 0.0 || *value > 1.0) {
        diagnostics.error(renoise->value.position(),
                          "renoise must be between 0 and 1, got " + format_number(*value));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  return ok;
}

}  // namespace motionfarm::coordinator
