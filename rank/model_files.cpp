#include "rank/model_files.h"

#include <filesystem>
#include <utility>

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

}  // namespace

ModelFiles ModelFiles::in_folder(const std::string& folder, const ModelPreset& preset) {
  ModelFiles files;
  const std::string index = join(folder, "diffusion_pytorch_model.safetensors.index.json");
  files.dit = fs::exists(index) ? index : join(folder, "diffusion_pytorch_model.safetensors");
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
  return merged;
}

void ModelFiles::check(const ModelPreset& preset) const {
  check_file(dit, "--dit", "DiT weights");
  check_file(vae, "--vae", "VAE weights");
  check_file(text_encoder, "--text-encoder", "text encoder weights");
  check_file(tokenizer, "--tokenizer", "tokenizer model");
  if (preset.image_encoder) check_file(image_encoder, "--image-encoder", "image encoder weights");
}

}  // namespace motionfarm::rank
