#include "coordinator/manifest_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "coordinator/did_you_mean.h"
#include "coordinator/manifest_naming.h"
#include "coordinator/manifest_resolve.h"
#include "coordinator/manifest_sources.h"
#include "core/error.h"
#include "io/output_format.h"

namespace motionfarm::coordinator {
namespace fs = std::filesystem;

const std::vector<std::string>& manifest_keys() {
  static const std::vector<std::string> keys = {
      "job", "seed", "output", "model", "sampler", "parallel", "resources", "defaults", "assets"};
  return keys;
}

namespace {

// The state of one read: the manifest's top level and where problems go.
struct ReadState {
  std::string file;
  const ManifestOptions& options;
  Diagnostics& diagnostics;
  Job& job;
};

void missing_key(ReadState& state, const SourcePosition& where, const std::string& what,
                 const std::string& example) {
  state.diagnostics.error(where, "missing required key '" + what + "': add " + example);
}

// "90s", "30m", "2h", or a number of seconds; 0 means no limit.
std::optional<double> read_timeout(const Located& value, Diagnostics& diagnostics) {
  if (value.node.IsScalar()) {
    std::string text = value.node.Scalar();
    double unit = 1.0;
    if (!text.empty() && (text.back() == 's' || text.back() == 'm' || text.back() == 'h')) {
      unit = text.back() == 'h' ? 3600.0 : text.back() == 'm' ? 60.0 : 1.0;
      text.pop_back();
    }
    char* end = nullptr;
    const double amount = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(amount) &&
        amount >= 0) {
      return amount * unit;
    }
  }
  diagnostics.error(
      value.position(),
      "task_timeout must be a duration like \"90s\", \"30m\" or \"2h\" (0: no "
      "limit), got " +
          (value.node.IsScalar() ? "'" + value.node.Scalar() + "'" : describe_node(value.node)));
  return std::nullopt;
}

void read_output(ReadState& state, const Located& value) {
  const Mapping output =
      read_mapping(value, "output", {"root", "naming", "overwrite"}, state.diagnostics);
  if (!value.node.IsMap()) return;
  if (const auto it = output.find("root"); it != output.end()) {
    if (const auto root = read_string(it->second.value, "output.root", state.diagnostics)) {
      state.job.output.root = resolve_relative_path(*root, state.file);
      std::error_code error;
      if (fs::exists(state.job.output.root, error) &&
          !fs::is_directory(state.job.output.root, error)) {
        state.diagnostics.error(it->second.value.position(),
                                "output.root " + state.job.output.root +
                                    " exists and is not a folder: choose a folder");
      }
    }
  } else {
    missing_key(state, value.position(), "output.root", "root: /path/to/renders under output:");
  }
  if (const auto it = output.find("naming"); it != output.end()) {
    if (const auto naming = read_string(it->second.value, "output.naming", state.diagnostics)) {
      state.job.output.naming = *naming;
      const Located& where = it->second.value;
      // Point at the offending character when the template is on one line; a quoted scalar's
      // mark is at its opening quote.
      const bool quoted = where.node.Tag() == "!";
      const bool one_line = naming->find('\n') == std::string::npos;
      for (const NamingProblem& problem : naming_template_problems(*naming)) {
        SourcePosition at = where.position();
        if (one_line && at.line > 0)
          at.column += static_cast<int>(problem.offset) + (quoted ? 1 : 0);
        state.diagnostics.error(at, problem.message);
      }
    }
  }
  if (const auto it = output.find("overwrite"); it != output.end()) {
    if (const auto overwrite = read_bool(it->second.value, "overwrite", state.diagnostics)) {
      state.job.output.overwrite = *overwrite;
    }
  }
}

void check_weight_path(ReadState& state, const Located& where, const std::string& key,
                       std::string& target) {
  const auto text = read_string(where, key, state.diagnostics);
  if (!text) return;
  target = resolve_relative_path(*text, where.file);
  if (!state.options.check_weights) return;
  std::error_code error;
  if (!fs::exists(target, error)) {
    state.diagnostics.error(where.position(), key + " " + target +
                                                  " does not exist: give the file (or the "
                                                  "folder of shards) of the released weights");
  }
}

void read_weights(ReadState& state, const Located& value) {
  WeightPaths& weights = state.job.model.weights;
  const ModelFacts& facts = state.job.model.facts;
  if (value.node.IsScalar() && value.node.Scalar() == "random") {
    weights.random = true;
    if (!facts.name.empty() && !facts.is_test_model) {
      state.diagnostics.error(value.position(),
                              "weights: random is for the tiny-/demo- test presets only; " +
                                  facts.name + " needs its released weights");
    }
    return;
  }
  const auto check_folder = [&](const Located& where) {
    check_weight_path(state, where, "weights folder", weights.release_folder);
    std::error_code error;
    if (!weights.release_folder.empty() && state.options.check_weights &&
        fs::exists(weights.release_folder, error) &&
        !fs::is_directory(weights.release_folder, error)) {
      state.diagnostics.error(where.position(),
                              "weights " + weights.release_folder +
                                  " is a file: give the release folder, or list the files "
                                  "under weights: {dit: ..., vae: ..., text_encoder: ..., "
                                  "tokenizer: ...}");
    }
  };
  if (value.node.IsScalar()) {
    check_folder(value);
    return;
  }
  const Mapping files = read_mapping(
      value, "model.weights",
      {"folder", "dit", "vae", "text_encoder", "tokenizer", "image_encoder"}, state.diagnostics);
  if (!value.node.IsMap()) return;
  if (const auto it = files.find("folder"); it != files.end()) check_folder(it->second.value);
  const std::vector<std::pair<std::string, std::string*>> slots = {
      {"dit", &weights.dit},
      {"vae", &weights.vae},
      {"text_encoder", &weights.text_encoder},
      {"tokenizer", &weights.tokenizer},
      {"image_encoder", &weights.image_encoder}};
  for (const auto& [key, target] : slots) {
    const auto it = files.find(key);
    if (it != files.end()) {
      check_weight_path(state, it->second.value, key, *target);
      continue;
    }
    // Without a release folder, every file the model needs must be named.
    const bool needed = key != "image_encoder" || facts.needs_image();
    if (needed && weights.release_folder.empty() && !facts.name.empty()) {
      state.diagnostics.error(value.position(), "missing required key 'weights." + key + "': add " +
                                                    key +
                                                    ": /path/to/file, or folder: "
                                                    "/path/to/release (" +
                                                    facts.name + " needs it)");
    }
  }
}

void read_model(ReadState& state, const Located& value) {
  const Mapping model = read_mapping(value, "model", {"preset", "weights"}, state.diagnostics);
  if (!value.node.IsMap()) return;
  if (const auto it = model.find("preset"); it != model.end()) {
    if (const auto preset = read_string(it->second.value, "model.preset", state.diagnostics)) {
      state.job.model.preset = *preset;
      try {
        state.job.model.facts = model_facts_for_preset(*preset);
        // The preset's public sampling defaults (Wan2.2 A14B: 40 steps, shift 5.0 or 12.0) come
        // before the job's `sampler:`, which is read after the model.
        const ModelFacts& facts = state.job.model.facts;
        if (facts.default_steps) state.job.sampler.steps = static_cast<int>(*facts.default_steps);
        if (facts.default_shift) state.job.sampler.shift = *facts.default_shift;
        if (facts.default_guidance) state.job.sampler.guidance = *facts.default_guidance;
      } catch (const ConfigError& error) {
        state.diagnostics.error(it->second.value.position(), error.what());
      }
    }
  } else {
    missing_key(state, value.position(), "model.preset",
                "preset: <name> under model: (one of " + join_names(known_model_presets()) + ")");
  }
  if (const auto it = model.find("weights"); it != model.end()) {
    read_weights(state, it->second.value);
  } else {
    missing_key(state, value.position(), "model.weights",
                "weights: /path/to/release-folder under model:");
  }
}

void read_sampler(ReadState& state, const Located& value) {
  const Mapping sampler =
      read_mapping(value, "sampler", {"name", "steps", "shift", "guidance", "negative_prompt"},
                   state.diagnostics);
  // The same keys and checks as a per-asset override, where the name is `sampler:`.
  Mapping as_override;
  for (const auto& [key, entry] : sampler) {
    as_override.emplace(key == "name" ? "sampler" : key, entry);
  }
  apply_sampler_overrides(as_override, state.job.sampler, state.diagnostics);
}

void read_parallel(ReadState& state, const Located& value) {
  const Mapping parallel = read_mapping(value, "parallel", {"layout"}, state.diagnostics);
  const auto it = parallel.find("layout");
  if (it == parallel.end()) return;
  const auto text = read_string(it->second.value, "parallel.layout", state.diagnostics);
  if (!text || *text == "auto") return;
  const SourcePosition where = it->second.value.position();
  try {
    state.job.layout = parallel::ParallelLayout::parse(*text);
  } catch (const ConfigError& error) {
    state.diagnostics.error(where, std::string(error.what()) + ", or auto");
    return;
  }
  const ModelFacts& facts = state.job.model.facts;
  if (facts.name.empty()) return;  // unknown preset: reported already
  const parallel::LayoutModelDims dims{facts.num_heads, facts.dim, facts.ffn_dim};
  for (const std::string& problem :
       parallel::layout_problems(*state.job.layout, dims, state.options.world_size)) {
    state.diagnostics.error(where,
                            "layout " + *text + " does not fit " + facts.name + ": " + problem);
  }
}

void read_resources(ReadState& state, const Located& value) {
  const Mapping resources =
      read_mapping(value, "resources",
                   {"max_attempts", "task_timeout", "batch_max", "memory_gib", "phase_batch"},
                   state.diagnostics);
  ResourceSettings& r = state.job.resources;
  Diagnostics& d = state.diagnostics;
  if (const auto it = resources.find("max_attempts"); it != resources.end()) {
    if (const auto attempts = read_integer(it->second.value, "max_attempts", d)) {
      if (*attempts < 1 || *attempts > 100) {
        d.error(it->second.value.position(),
                "max_attempts must be between 1 and 100, got " + std::to_string(*attempts));
      } else {
        r.max_attempts = static_cast<int>(*attempts);
      }
    }
  }
  if (const auto it = resources.find("task_timeout"); it != resources.end()) {
    if (const auto seconds = read_timeout(it->second.value, d)) r.task_timeout_s = *seconds;
  }
  if (const auto it = resources.find("batch_max"); it != resources.end()) {
    if (const auto batch = read_integer(it->second.value, "batch_max", d)) {
      if (*batch < 1 || *batch > 1024) {
        d.error(it->second.value.position(),
                "batch_max must be between 1 and 1024, got " + std::to_string(*batch));
      } else {
        r.batch_max = static_cast<int>(*batch);
      }
    }
  }
  if (const auto it = resources.find("phase_batch"); it != resources.end()) {
    if (const auto batch = read_integer(it->second.value, "phase_batch", d)) {
      if (*batch < 1 || *batch > 100000) {
        d.error(it->second.value.position(),
                "phase_batch must be between 1 and 100000, got " + std::to_string(*batch) +
                    " (assets a model group parks between expert phases; 1: swap experts for "
                    "every asset)");
      } else {
        r.phase_batch = static_cast<int>(*batch);
      }
    }
  }
  if (const auto it = resources.find("memory_gib"); it != resources.end()) {
    if (const auto gib = read_number(it->second.value, "memory_gib", d)) {
      if (*gib <= 0) {
        d.error(it->second.value.position(),
                "memory_gib must be positive (leave it out to "
                "measure the device)");
      } else {
        r.memory_gib = *gib;
      }
    }
  }
}

// The keys `defaults:` may set: every per-asset key except the ones that name one asset.
std::vector<std::string> default_keys() {
  std::vector<std::string> keys;
  for (const std::string& key : asset_keys()) {
    if (key != "id" && key != "image") keys.push_back(key);
  }
  return keys;
}

// Ids must be unique: they name outputs, ledger rows and checkpoints.
void check_duplicate_ids(const std::vector<ResolvedAsset>& assets, Diagnostics& diagnostics) {
  std::map<std::string, const ResolvedAsset*> first_use;
  std::map<std::string, bool> reported_first;
  for (const ResolvedAsset& asset : assets) {
    const auto [first, inserted] = first_use.emplace(asset.spec.id, &asset);
    if (inserted) continue;
    const ResolvedAsset& original = *first->second;
    const std::string why =
        ": ids name the outputs, ledger rows and checkpoints, so each must be unique";
    diagnostics.error(asset.id_position, "duplicate asset id '" + asset.spec.id +
                                             "' (first used at " +
                                             original.id_position.to_string() + ", image " +
                                             original.spec.image + ")" + why);
    if (!reported_first[asset.spec.id]) {
      reported_first[asset.spec.id] = true;
      diagnostics.error(original.id_position, "duplicate asset id '" + asset.spec.id +
                                                  "' (used again at " +
                                                  asset.id_position.to_string() + ", image " +
                                                  asset.spec.image + ")" + why);
    }
  }
}

// Every deliverable stays under the root, and no two land on the same path.
void check_output_paths(ReadState& state, const std::vector<ResolvedAsset>& assets,
                        const SourcePosition& naming_position) {
  const Job& job = state.job;
  if (job.output.root.empty() || !naming_template_problems(job.output.naming).empty()) return;
  const std::string date = state.options.date.empty() ? today_date() : state.options.date;
  std::map<std::string, std::string> owner;  // output path -> asset id
  std::map<std::string, bool> escape_reported;
  for (const ResolvedAsset& resolved : assets) {
    const AssetSpec& asset = resolved.spec;
    for (const std::string& format : asset.formats) {
      NamingValues values;
      values.job = job.name;
      values.asset = asset.id;
      values.seed = asset.seed;
      values.date = date;
      values.format = format;
      values.index = asset.index;
      const std::string relative = deliverable_relative_path(job.output.naming, values);
      const std::string problem = output_path_escape(job.output.root, relative);
      if (!problem.empty()) {
        if (!escape_reported[problem]) {
          state.diagnostics.error(naming_position, problem);
          escape_reported[problem] = true;
        }
        continue;
      }
      const std::string full = (fs::path(job.output.root) / relative).lexically_normal().string();
      const auto [existing, inserted] = owner.emplace(full, asset.id);
      if (!inserted) {
        state.diagnostics.error(
            naming_position,
            "assets '" + existing->second + "' and '" + asset.id + "' would both write " + full +
                (existing->second == asset.id ? " (two formats with the same extension)" : "") +
                ": add {asset}" + (existing->second == asset.id ? " and {format}" : "") +
                " to output.naming");
      }
    }
  }
}

}  // namespace

ManifestReport read_manifest(const std::string& path, const ManifestOptions& options) {
  ManifestReport report;
  Diagnostics diagnostics;
  Job& job = report.job;
  job.manifest_path = fs::absolute(path).lexically_normal().string();
  ReadState state{path, options, diagnostics, job};

  const auto finish = [&]() {
    report.diagnostics = diagnostics.sorted();
    report.error_count =
        static_cast<size_t>(std::count_if(report.diagnostics.begin(), report.diagnostics.end(),
                                          [](const Diagnostic& d) { return !d.is_warning; }));
    return report;
  };

  const std::optional<Located> root = load_yaml_file(path, options.limits, diagnostics);
  if (!root) return finish();
  if (!root->node.IsMap()) {
    diagnostics.error(root->position(),
                      "a manifest is a mapping of keys (job:, model:, assets:, "
                      "...), got " +
                          describe_node(root->node));
    return finish();
  }
  const Mapping top = read_mapping(*root, "manifest", manifest_keys(), diagnostics);
  const SourcePosition top_position{path, 1, 1};
  const auto find = [&](const std::string& key) -> const MappingEntry* {
    const auto it = top.find(key);
    return it == top.end() ? nullptr : &it->second;
  };

  if (const MappingEntry* name = find("job")) {
    if (const auto text = read_string(name->value, "job", diagnostics)) {
      job.name = *text;
      if (const std::string problem = name_problem(*text); !problem.empty()) {
        diagnostics.error(name->value.position(), "job name '" + *text + "' " + problem +
                                                      ": it names the state folder and {job}");
      }
    }
  } else {
    missing_key(state, top_position, "job", "job: <name> at the top level");
  }
  if (const MappingEntry* seed = find("seed")) {
    if (const auto value = read_integer(seed->value, "seed", diagnostics)) {
      if (*value < 0) {
        diagnostics.error(seed->value.position(), "seed " + std::to_string(*value) +
                                                      " is out of range: use 0 to " +
                                                      std::to_string(kMaxSeed));
      } else {
        job.job_seed = static_cast<uint64_t>(*value);
      }
    }
  }
  // The model first: the output, layout and asset checks depend on its facts.
  if (const MappingEntry* model = find("model")) {
    read_model(state, model->value);
  } else {
    missing_key(state, top_position, "model",
                "model: {preset: <name>, weights: /path/to/release} at the top level");
  }
  SourcePosition naming_position = top_position;
  if (const MappingEntry* output = find("output")) {
    read_output(state, output->value);
    naming_position = output->value.position();
    if (output->value.node.IsMap() && output->value.node["naming"]) {
      naming_position = output->value.child(output->value.node["naming"]).position();
    }
  } else {
    missing_key(state, top_position, "output", "output: {root: /path/to/renders} at the top level");
  }
  if (const MappingEntry* sampler = find("sampler")) read_sampler(state, sampler->value);
  if (const MappingEntry* parallel = find("parallel")) read_parallel(state, parallel->value);
  if (const MappingEntry* resources = find("resources")) read_resources(state, resources->value);
  Mapping defaults;
  if (const MappingEntry* entry = find("defaults")) {
    defaults = read_mapping(entry->value, "defaults", default_keys(), diagnostics);
  }

  const MappingEntry* assets = find("assets");
  if (!assets) {
    missing_key(state, top_position, "assets",
                "assets: with a list of assets, glob: or csv: entries");
    return finish();
  }
  if (assets->value.node.IsSequence() && assets->value.node.size() == 0) {
    diagnostics.error(assets->value.position(),
                      "assets is empty: list at least one asset, a glob: or a csv: entry");
    return finish();
  }
  if (assets->value.node.IsNull()) {
    diagnostics.error(assets->key_position,
                      "assets is empty: list at least one asset, a glob: or a csv: entry");
    return finish();
  }
  const std::vector<AssetEntry> entries =
      expand_asset_sources(assets->value, options.limits, diagnostics);

  ResolveContext context;
  context.facts = job.model.facts.name.empty() ? nullptr : &job.model.facts;
  context.sampler = job.sampler;
  context.job_seed = job.job_seed;
  context.defaults = &defaults;
  context.check_images = options.check_images;
  std::vector<ResolvedAsset> resolved;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (auto asset = resolve_asset(entries[i], static_cast<int64_t>(i), context, diagnostics)) {
      resolved.push_back(std::move(*asset));
    }
  }
  check_duplicate_ids(resolved, diagnostics);
  check_output_paths(state, resolved, naming_position);
  for (ResolvedAsset& asset : resolved) job.assets.push_back(std::move(asset.spec));
  return finish();
}

Job load_job(const std::string& path, const ManifestOptions& options) {
  ManifestReport report = read_manifest(path, options);
  if (!report.can_run()) throw ManifestError(std::move(report.diagnostics));
  return std::move(report.job);
}

}  // namespace motionfarm::coordinator
