#include "rank/model_files.h"

#include <filesystem>
#include <utility>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::rank {
namespace {

namespace fs = std::filesystem;

std::string join(const std::string& folder, const std::string& name) {
  return (fs::path(folder) / name).string();
}

void check_file(const std::string& path, const char* option, const char* what) {
  if (path.empty()) {
    throw InputError(std::string("no ") + what + " given: pass " + option +
                     " FILE or --weights FOLDER");
  }
  if (fs::exists(path)) return;
  const fs::path as_path(path);
  if (as_path.extension() == ".safetensors") {
    const fs::path pth = fs::path(as_path).replace_extension(".pth");
    if (fs::exists(pth)) {
      throw InputError(std::string(what) + " '" + path + "' does not exist, but '" + pth.string() +
                       "' does: convert it once to safetensors (docs/models.md, \"Converting "
                       ".pth files\") or pass " +
                       option + " with a converted file");
    }
  }
  throw InputError(std::string(what) + " '" + path + "' (" + option + ") does not exist");
}

// The release's DiT in `folder`: the sharded index when present, else the single file.
std::string dit_in(const std::string& folder) {
  const std::string index = join(folder, "diffusion_pytorch_model.safetensors.index.json");
  return fs::exists(index) ? index : join(folder, "diffusion_pytorch_model.safetensors");
}

}  // namespace

ModelFiles ModelFiles::in_folder(const std::string& folder, const ModelPreset& preset) {
  ModelFiles files;
  if (preset.has_experts()) {
    for (const model::ExpertSpec& expert : preset.experts) {
      files.expert_dits.push_back(dit_in(join(folder, expert.folder)));
    }
  } else {
    files.dit = dit_in(folder);
  }
  files.vae = join(folder, preset.vae.architecture == model::VaeArchitecture::kWan22
                               ? "Wan2.2_VAE.safetensors"
                               : "Wan2.1_VAE.safetensors");
  files.text_encoder = join(folder, "models_t5_umt5-xxl-enc-bf16.safetensors");
  files.tokenizer = join(folder, "google/umt5-xxl/spiece.model");
  if (preset.image_encoder) {
    files.image_encoder =
        join(folder, "models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors");
  }
  return files;
}

ModelFiles ModelFiles::overridden_by(const ModelFiles& explicit_files) const {
  ModelFiles merged = *this;
  for (auto [target, source] :
       {std::pair{&merged.dit, &explicit_files.dit}, std::pair{&merged.vae, &explicit_files.vae},
        std::pair{&merged.text_encoder, &explicit_files.text_encoder},
        std::pair{&merged.tokenizer, &explicit_files.tokenizer},
        std::pair{&merged.image_encoder, &explicit_files.image_encoder}}) {
    if (!source->empty()) *target = *source;
  }
  if (merged.expert_dits.size() < explicit_files.expert_dits.size()) {
    merged.expert_dits.resize(explicit_files.expert_dits.size());
  }
  for (size_t i = 0; i < explicit_files.expert_dits.size(); ++i) {
    if (!explicit_files.expert_dits[i].empty())
      merged.expert_dits[i] = explicit_files.expert_dits[i];
  }
  return merged;
}

const std::string& ModelFiles::dit_file(const ModelPreset& preset, int64_t index) const {
  MF_CHECK(index >= 0 && index < preset.dit_count(), InputError,
           "preset '" << preset.name << "' has no DiT " << index);
  if (!preset.has_experts()) return dit;
  MF_CHECK(static_cast<size_t>(index) < expert_dits.size(), InputError,
           "no DiT given for expert '" << preset.dit_name(index) << "' of preset '" << preset.name
                                       << "': pass --weights FOLDER with its "
                                       << preset.experts[static_cast<size_t>(index)].folder
                                       << "/ subfolder");
  return expert_dits[static_cast<size_t>(index)];
}

void ModelFiles::check(const ModelPreset& preset) const {
  if (preset.has_experts()) {
    MF_CHECK(dit.empty(), InputError,
             "--dit does not apply to preset '"
                 << preset.name << "', whose DiT is " << preset.experts.size()
                 << " experts: pass --weights FOLDER, the release folder holding "
                 << preset.experts.front().folder << "/ and the other expert folders");
    for (int64_t i = 0; i < preset.dit_count(); ++i) {
      const std::string what = "DiT weights of expert '" + preset.dit_name(i) + "'";
      const std::string& folder = preset.experts[static_cast<size_t>(i)].folder;
      const std::string& path = dit_file(preset, i);
      MF_CHECK(!path.empty(), InputError,
               "no " << what << " given: pass --weights FOLDER, the release folder holding "
                     << folder << "/");
      const std::string option = "--weights, in " + folder + "/";
      check_file(path, option.c_str(), what.c_str());
    }
  } else {
    check_file(dit, "--dit", "DiT weights");
  }
  check_file(vae, "--vae", "VAE weights");
  check_file(text_encoder, "--text-encoder", "text encoder weights");
  check_file(tokenizer, "--tokenizer", "tokenizer model");
  if (preset.image_encoder) check_file(image_encoder, "--image-encoder", "image encoder weights");
}

}  // namespace motionfarm::rank
