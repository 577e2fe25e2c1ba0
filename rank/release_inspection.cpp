#include "rank/release_inspection.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/checkpoint_inspection.h"
#include "model/preset_sampling.h"
#include "model/release_dit_config.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"

namespace motionfarm::rank {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexName[] = "diffusion_pytorch_model.safetensors.index.json";
constexpr char kSingleName[] = "diffusion_pytorch_model.safetensors";

// The DiT file of `folder` (the index first), or "" when it holds none.
std::string dit_file_in(const fs::path& folder) {
  if (fs::is_regular_file(folder / kIndexName)) return (folder / kIndexName).string();
  if (fs::is_regular_file(folder / kSingleName)) return (folder / kSingleName).string();
  return "";
}

// Reads the index's weight_map: tensor count and shard names (sorted, unique).
void read_index(const std::string& path, ReleaseDiT& dit) {
  nlohmann::json index;
  try {
    std::ifstream in(path);
    index = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw InputError("'" + path + "' is not a safetensors index: " + error.what());
  }
  if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw InputError("'" + path + "' has no weight_map");
  }
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : index["weight_map"].items()) {
    shards.insert(shard.get<std::string>());
    ++dit.tensor_count;
  }
  dit.shard_count = static_cast<int64_t>(shards.size());
  const fs::path folder = fs::path(path).parent_path();
  for (const std::string& shard : shards) {
    if (!fs::is_regular_file(folder / shard)) dit.missing_shards.push_back(shard);
  }
}

ReleaseDiT describe_dit(const fs::path& root, const std::string& folder) {
  ReleaseDiT dit;
  dit.name = folder.empty() ? "dit" : folder;
  dit.folder = folder;
  dit.path = dit_file_in(root / folder);
  const fs::path config = root / folder / "config.json";
  if (fs::is_regular_file(config)) dit.config_path = config.string();
  if (fs::path(dit.path).filename() == kIndexName) {
    read_index(dit.path, dit);
  } else {
    dit.shard_count = 1;
  }
  return dit;
}

// A preset's DiT config and experts, or nothing when `name` does not load.
struct Candidate {
  std::string name;
  model::WanDiTConfig dit;
  model::PresetSampling sampling;
};

std::vector<Candidate> candidates(const std::string& only) {
  std::vector<Candidate> list;
  const std::vector<std::string> names =
      only.empty() ? model::dit_preset_names() : std::vector<std::string>{only};
  for (const std::string& name : names) {
    try {
      list.push_back({name, model::load_dit_preset(name), model::load_preset_sampling(name)});
    } catch (const ConfigError&) {
      if (!only.empty()) throw;
    }
  }
  return list;
}

// Whether the folder's DiTs sit where `candidate` expects them.
bool layout_fits(const Candidate& candidate, const std::vector<ReleaseDiT>& dits) {
  std::set<std::string> found;
  for (const ReleaseDiT& dit : dits) found.insert(dit.folder);
  std::set<std::string> expected;
  for (const model::ExpertSpec& expert : candidate.sampling.experts) expected.insert(expert.folder);
  if (expected.empty()) expected.insert("");
  return found == expected;
}

// Every problem of the folder's DiTs against `candidate`: config.json fields, missing shards,
// tensors (names and shapes).
std::vector<std::string> dit_problems(const Candidate& candidate, std::vector<ReleaseDiT>& dits) {
  std::vector<std::string> problems;
  for (ReleaseDiT& dit : dits) {
    const std::string where = dit.folder.empty() ? "" : dit.folder + "/: ";
    // A folder without config.json is checked by its tensors alone, as the loader does.
    if (!dit.config_path.empty()) {
      for (const model::ConfigMismatch& mismatch : model::release_config_mismatches(
               model::read_release_dit_config(dit.config_path), candidate.dit)) {
        problems.push_back(where + "config.json says " + mismatch.field + " " +
                           mismatch.file_value + ", preset " + candidate.name + " has " +
                           mismatch.preset_value);
      }
    }
    for (const std::string& shard : dit.missing_shards) {
      problems.push_back(where + "missing shard " + shard);
    }
    if (!dit.missing_shards.empty()) continue;
    const auto checkpoint = io::SafetensorsCheckpoint::open(dit.path);
    const model::CheckpointInspection report =
        model::inspect_checkpoint(checkpoint, candidate.name);
    dit.tensor_count = report.tensor_count;
    dit.parameter_count = report.parameter_count;
    if (report.module != "wan_dit") {
      problems.push_back(where + "'" + dit.path + "' holds " + report.module + ", not a DiT");
      continue;
    }
    for (const std::string& problem : report.problems) problems.push_back(where + problem);
  }
  return problems;
}

}  // namespace

bool looks_like_release_folder(const std::string& path) {
  if (!fs::is_directory(path)) return false;
  if (fs::is_regular_file(fs::path(path) / "config.json")) return true;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_directory() && !dit_file_in(entry.path()).empty()) return true;
  }
  return false;
}

ReleaseInspection inspect_release_folder(const std::string& folder, const std::string& preset) {
  ReleaseInspection report;
  report.folder = folder;
  const fs::path root(folder);
  if (!dit_file_in(root).empty()) report.dits.push_back(describe_dit(root, ""));
  std::vector<std::string> subfolders;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    if (entry.is_directory() && !dit_file_in(entry.path()).empty()) {
      subfolders.push_back(entry.path().filename().string());
    }
  }
  std::sort(subfolders.begin(), subfolders.end());
  for (const std::string& sub : subfolders) report.dits.push_back(describe_dit(root, sub));
  if (report.dits.empty()) {
    throw InputError("'" + folder + "' holds no DiT (" + kIndexName + " or " + kSingleName +
                     ", at the top or in an expert's folder such as high_noise_model/)");
  }

  // The preset: the first whose layout and DiT(s) fit, else the first whose layout fits.
  bool chosen = false;
  std::vector<std::string> chosen_problems;
  for (const Candidate& candidate : candidates(preset)) {
    if (preset.empty() && !layout_fits(candidate, report.dits)) continue;
    std::vector<ReleaseDiT> dits = report.dits;
    std::vector<std::string> problems = dit_problems(candidate, dits);
    if (!layout_fits(candidate, dits)) {
      problems.insert(problems.begin(), "the DiT folders do not match the preset's experts");
    }
    if (problems.empty() && report.matched) {
      report.other_matches.push_back(candidate.name);
    } else if (!chosen || (problems.empty() && !report.matched)) {
      report.preset = candidate.name;
      report.matched = problems.empty();
      report.expert_count = static_cast<int64_t>(candidate.sampling.experts.size());
      report.dits = dits;
      chosen_problems = problems;
      chosen = true;
    }
  }
  report.problems = chosen_problems;
  if (report.preset.empty()) {
    report.problems.push_back("no preset in configs/models/ has this layout of DiT folders");
    return report;
  }
  // Name the DiTs after the preset's experts.
  const model::PresetSampling sampling = model::load_preset_sampling(report.preset);
  for (ReleaseDiT& dit : report.dits) {
    for (const model::ExpertSpec& expert : sampling.experts) {
      if (expert.folder == dit.folder) dit.name = expert.name;
    }
  }

  // The other files, by the names the loader looks for.
  const ModelPreset parts = load_model_preset_parts(report.preset);
  const ModelFiles files = ModelFiles::in_folder(folder, parts);
  std::vector<std::pair<std::string, std::string>> wanted = {
      {"vae", files.vae}, {"text encoder", files.text_encoder}, {"tokenizer", files.tokenizer}};
  if (!files.image_encoder.empty()) wanted.emplace_back("image encoder", files.image_encoder);
  for (const auto& [role, path] : wanted) {
    ReleasePart part{role, path, fs::exists(path)};
    report.parts.push_back(part);
    if (part.present) continue;
    const fs::path pth = fs::path(path).replace_extension(".pth");
    if (fs::path(path).extension() == ".safetensors" && fs::exists(pth)) {
      report.problems.push_back(role + ": " + pth.filename().string() +
                                " is not converted to .safetensors yet (docs/models.md)");
    } else {
      report.problems.push_back(role + ": missing " + fs::relative(path, root).string());
    }
  }
  return report;
}

}  // namespace motionfarm::rank
