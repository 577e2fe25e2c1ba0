#include "coordinator/manifest_resolve.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "coordinator/manifest_asset_fields.h"
#include "coordinator/manifest_image_probe.h"
#include "coordinator/manifest_segments.h"

namespace motionfarm::coordinator {
namespace {

constexpr double kMaxFps = 240.0;

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

bool apply_sampler_overrides(const Mapping& keys, SamplerSettings& sampler,
                             Diagnostics& diagnostics) {
  AssetEntry entry;
  entry.own = keys;
  return resolve_sampler(AssetLayers(entry, nullptr), sampler, diagnostics);
}

uint64_t derive_asset_seed(uint64_t job_seed, const std::string& id) {
  return splitmix64(job_seed ^ fnv1a64(id)) >> 1;
}

std::string name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name[0] == '.') return "starts with '.' (it names files and folders; hidden names confuse)";
  if (name.front() == ' ' || name.back() == ' ') return "starts or ends with a space";
  for (unsigned char c : name) {
    if (c == '/' || c == '\\') return "contains '" + std::string(1, char(c)) + "'";
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  return "";
}

std::optional<std::pair<int64_t, int64_t>> parse_resolution(const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos || x == 0 || x + 1 == text.size()) return std::nullopt;
  const std::string width = text.substr(0, x);
  const std::string height = text.substr(x + 1);
  const auto digits = [](const std::string& s) {
    return s.size() <= 6 &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(uint8_t(c)); });
  };
  if (!digits(width) || !digits(height)) return std::nullopt;
  return std::make_pair(std::stoll(width), std::stoll(height));
}

std::pair<int64_t, int64_t> auto_resolution(int64_t image_width, int64_t image_height,
                                            int64_t pixel_area, int64_t stride) {
  const double aspect = static_cast<double>(image_height) / static_cast<double>(image_width);
  const auto side = [&](double pixels) {
    // The epsilon keeps an exact fit (832x480 at 832x480's area) from rounding down a stride.
    return std::max<int64_t>(stride,
                             static_cast<int64_t>(std::floor(pixels / stride + 1e-9)) * stride);
  };
  const int64_t height = side(std::sqrt(static_cast<double>(pixel_area) * aspect));
  const int64_t width = side(std::sqrt(static_cast<double>(pixel_area) / aspect));
  return {width, height};
}

std::optional<ResolvedAsset> resolve_asset(const AssetEntry& entry, int64_t index,
                                           const ResolveContext& context,
                                           Diagnostics& diagnostics) {
  const AssetLayers layers(entry, context.defaults);
  const ModelFacts* facts = context.facts;
  ResolvedAsset resolved;
  AssetSpec& asset = resolved.spec;
  asset.index = index;
  asset.source = entry.source;
  bool ok = true;

  // --- image and id: only the asset's own layers may name them (defaults cannot).
  const MappingEntry* image = layers.find("image");
  std::optional<ImageProbe> probe;
  if (image) {
    if (const auto path = read_string(image->value, "image", diagnostics)) {
      asset.image = resolve_relative_path(*path, image->value.file);
      if (facts && !facts->takes_image()) {
        diagnostics.error(image->value.position(),
                          "model preset " + facts->name +
                              " is text-to-video and takes no image: "
                              "remove image:, or use an image-to-video preset");
        ok = false;
      } else if (context.check_images) {
        probe = probe_image(asset.image);
        if (!probe->usable) {
          diagnostics.error(image->value.position(), probe->problem);
          ok = false;
        }
      }
    } else {
      ok = false;
    }
  } else if (!facts || facts->needs_image()) {
    diagnostics.error(entry.source,
                      "this asset has no image: add image: path/to/plate.png (the model " +
                          std::string(facts ? facts->name : "") + " animates a still image)");
    ok = false;
  }
  if (const MappingEntry* id = layers.find("id")) {
    resolved.id_position = id->value.position();
    if (const auto text = read_string(id->value, "id", diagnostics)) asset.id = *text;
  } else if (!asset.image.empty()) {
    asset.id = std::filesystem::path(asset.image).stem().string();
    resolved.id_position = image->value.position();
  } else {
    resolved.id_position = entry.source;
    diagnostics.error(entry.source, "this asset has no id: add id: <name> (it names the outputs)");
    ok = false;
  }
  if (!asset.id.empty() || layers.find("id")) {
    if (const std::string problem = name_problem(asset.id); !problem.empty()) {
      diagnostics.error(resolved.id_position, "asset id '" + asset.id + "' " + problem +
                                                  ": ids become file names; use letters, digits, "
                                                  "'-', '_' and '.'");
      ok = false;
    }
  }

  // --- prompt and negative prompt.
  if (const MappingEntry* prompt = layers.find("prompt")) {
    const auto text = read_string(prompt->value, "prompt", diagnostics);
    if (text && text->find_first_not_of(" \t\n") == std::string::npos) {
      diagnostics.error(prompt->value.position(),
                        "prompt is empty: describe the motion, e.g. \"the camera slowly pushes "
                        "in\"");
      ok = false;
    } else if (text) {
      asset.prompt = *text;
    } else {
      ok = false;
    }
  } else {
    diagnostics.error(entry.source,
                      "this asset has no prompt: add prompt: \"...\" (or set one "
                      "for every asset in defaults:)");
    ok = false;
  }

  // --- seed.
  if (const MappingEntry* seed = layers.find("seed")) {
    if (const auto value = read_integer(seed->value, "seed", diagnostics)) {
      if (*value < 0) {
        diagnostics.error(seed->value.position(),
                          "seed " + std::to_string(*value) + " is out of range: use 0 to " +
                              std::to_string(kMaxSeed) + ", or leave it out to derive one");
        ok = false;
      } else {
        asset.seed = static_cast<uint64_t>(*value);
      }
    } else {
      ok = false;
    }
  } else {
    asset.seed = derive_asset_seed(context.job_seed, asset.id);
    asset.seed_derived = true;
  }

  // --- sampler overrides.
  asset.sampler = context.sampler;
  ok = resolve_sampler(layers, asset.sampler, diagnostics) && ok;

  // --- fps, duration / frames, max_frames.
  asset.fps = facts ? facts->default_fps : 16.0;
  const MappingEntry* fps = layers.find("fps");
  if (fps) {
    if (const auto value = read_number(fps->value, "fps", diagnostics)) {
      if (*value <= 0 || *value > kMaxFps) {
        diagnostics.error(fps->value.position(), "fps must be above 0 and at most " +
                                                     format_number(kMaxFps) + ", got " +
                                                     format_number(*value));
        ok = false;
      } else {
        asset.fps = *value;
      }
    } else {
      ok = false;
    }
  }
  asset.max_frames = kDefaultMaxFrames;
  const MappingEntry* max_frames = layers.find("max_frames");
  if (max_frames) {
    if (const auto value = read_integer(max_frames->value, "max_frames", diagnostics)) {
      if (*value < 1) {
        diagnostics.error(max_frames->value.position(),
                          "max_frames must be at least 1, got " + std::to_string(*value));
        ok = false;
      } else {
        asset.max_frames = *value;
      }
    } else {
      ok = false;
    }
  }
  const int duration_level = layers.level_of("duration");
  const int frames_level = layers.level_of("frames");
  const MappingEntry* length_entry = nullptr;
  bool have_length = false;
  if (duration_level >= 0 && duration_level == frames_level) {
    diagnostics.error(layers.find("frames")->key_position,
                      "give duration or frames, not both: remove one");
    ok = false;
  } else if (frames_level >= 0 && (duration_level < 0 || frames_level < duration_level)) {
    length_entry = layers.find("frames");
    if (const auto value = read_integer(length_entry->value, "frames", diagnostics)) {
      if (*value < 1) {
        diagnostics.error(length_entry->value.position(),
                          "frames must be at least 1, got " + std::to_string(*value));
        ok = false;
      } else {
        asset.total_frames = *value;
        have_length = true;
      }
    } else {
      ok = false;
    }
  } else if (duration_level >= 0) {
    length_entry = layers.find("duration");
    if (const auto seconds = read_duration(length_entry->value, diagnostics)) {
      asset.total_frames = std::llround(*seconds * asset.fps);
      if (asset.total_frames < 1) {
        diagnostics.error(length_entry->value.position(), "duration " + format_number(*seconds) +
                                                              "s at " + format_number(asset.fps) +
                                                              " fps is less than one frame");
        ok = false;
      } else {
        have_length = true;
      }
    } else {
      ok = false;
    }
  } else {
    // One full segment when nothing says how long: what the model was trained to render.
    asset.total_frames = facts ? facts->max_frames_per_segment : 81;
    have_length = true;
  }
  if (have_length && asset.total_frames > asset.max_frames) {
    diagnostics.error(length_entry ? length_entry->value.position() : entry.source,
                      "this asset is " + std::to_string(asset.total_frames) + " frames (" +
                          format_number(asset.total_frames / asset.fps) + "s at " +
                          format_number(asset.fps) + " fps), over max_frames " +
                          std::to_string(asset.max_frames) +
                          ": shorten it, or raise max_frames if the long clip is intended");
    ok = false;
    have_length = false;
  }

  // --- resolution.
  const MappingEntry* resolution = layers.find("resolution");
  std::string resolution_text = "auto";
  if (resolution) {
    const auto text = read_string(resolution->value, "resolution", diagnostics);
    if (text) {
      resolution_text = *text;
    } else {
      ok = false;
      resolution_text.clear();
    }
  }
  const int64_t stride = facts ? facts->spatial_stride : 16;
  if (resolution_text == "auto") {
    asset.resolution_from_image = true;
    if (probe && probe->usable) {
      std::tie(asset.width, asset.height) = auto_resolution(
          probe->width, probe->height, facts ? facts->default_pixel_area() : 832 * 480, stride);
    } else if (facts) {
      asset.width = facts->default_width;
      asset.height = facts->default_height;
    }
  } else if (!resolution_text.empty()) {
    const auto size = parse_resolution(resolution_text);
    if (!size || size->first <= 0 || size->second <= 0) {
      diagnostics.error(resolution->value.position(),
                        "resolution must be WIDTHxHEIGHT like \"832x480\" or auto, got '" +
                            resolution_text + "'");
      ok = false;
    } else if (size->first % stride != 0 || size->second % stride != 0) {
      diagnostics.error(
          resolution->value.position(),
          "resolution " + resolution_text + " is not a multiple of " + std::to_string(stride) +
              (facts ? " (" + facts->name + ": VAE stride × patch size)" : std::string()) +
              ": use " + std::to_string(nearest_multiple(size->first, stride)) + "x" +
              std::to_string(nearest_multiple(size->second, stride)) + ", or auto");
      ok = false;
    } else {
      std::tie(asset.width, asset.height) = *size;
    }
  }

  // --- formats, priority.
  asset.formats = {"mp4"};
  if (const MappingEntry* formats = layers.find("formats")) {
    if (auto list = read_formats(formats->value, diagnostics)) {
      asset.formats = std::move(*list);
    } else {
      ok = false;
    }
  }
  if (const MappingEntry* priority = layers.find("priority")) {
    if (const auto value = read_integer(priority->value, "priority", diagnostics)) {
      if (*value < -1000000 || *value > 1000000) {
        diagnostics.error(
            priority->value.position(),
            "priority must be between -1000000 and 1000000, got " + std::to_string(*value));
        ok = false;
      } else {
        asset.priority = static_cast<int>(*value);
      }
    } else {
      ok = false;
    }
  }

  // --- extension and the segment plan.
  ok = resolve_extension(layers, facts, asset.extension, diagnostics) && ok;
  if (!ok || !have_length) return std::nullopt;
  asset.segments =
      plan_segments(asset.total_frames, asset.extension, facts ? facts->temporal_stride : 4);
  return resolved;
}

}  // namespace motionfarm::coordinator
