#include "rank/model_bundle.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include "core/check.h"
#include "core/log.h"
#include "io/safetensors_checkpoint.h"
#include "model/checkpoint_inspection.h"
#include "model/compute_dtypes.h"
#include "model/encoder_checkpoint.h"
#include "model/release_dit_config.h"
#include "model/umt5_encoder.h"
#include "model/vae_loader.h"
#include "model/wan_dit_weights.h"

namespace motionfarm::rank {
namespace {

// What inspect_checkpoint's module names are, and which option takes each.
struct ModuleRole {
  const char* module;
  const char* description;
  const char* option;
};

constexpr ModuleRole kRoles[] = {
    {"wan_dit", "a Wan diffusion transformer (DiT)", "--dit"},
    {"wan_vae", "a Wan2.1 VAE", "--vae"},
    {"wan22_vae", "a Wan2.2 VAE", "--vae"},
    {"umt5_encoder", "a umT5 text encoder", "--text-encoder"},
    {"clip_vision", "a CLIP vision tower", "--image-encoder"},
};

const ModuleRole* role_of(const std::string& module) {
  for (const ModuleRole& role : kRoles) {
    if (module == role.module) return &role;
  }
  return nullptr;
}

// Throws ModelError unless `checkpoint` holds `expected` (an inspect_checkpoint module name).
model::CheckpointInspection expect_module(const io::SafetensorsCheckpoint& checkpoint,
                                          const std::string& expected, const char* option) {
  model::CheckpointInspection report = model::inspect_checkpoint(checkpoint);
  if (report.module == expected) return report;
  const ModuleRole* wanted = role_of(expected);
  const ModuleRole* found = role_of(report.module);
  std::string message = "'" + checkpoint.path() + "' (" + option + ") holds " +
                        (found ? found->description : "no module motionfarm recognises") +
                        ", not " + wanted->description;
  if (found != nullptr && std::string(found->option) != option) {
    message += ": pass it as " + std::string(found->option);
  }
  message += " (`motionfarm model inspect FILE` shows what a file holds)";
  throw ModelError(message);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// DiT `index` of `preset` from `path`, placed on `device`: the release's config.json beside it
// first, then the file's role and model_type, then every tensor. `untrained_label` is set from
// the file's metadata when it carries one.
std::unique_ptr<model::WanDiT> load_dit(const ModelPreset& preset, int64_t index,
                                        const std::string& path, at::Device device,
                                        std::string& untrained_label) {
  const std::string option =
      preset.has_experts()
          ? "--weights, in " + preset.experts[static_cast<size_t>(index)].folder + "/"
          : std::string("--dit");
  const std::string config = model::release_config_path(path);
  if (std::filesystem::is_regular_file(config)) {
    model::check_release_dit_config(model::read_release_dit_config(config), preset.dit,
                                    preset.name);
  }
  const auto checkpoint = io::SafetensorsCheckpoint::open(path);
  const model::CheckpointInspection report = expect_module(checkpoint, "wan_dit", option.c_str());
  if (report.dit_config &&
      (report.dit_config->model_type != preset.dit.model_type ||
       report.dit_config->has_image_branch() != preset.dit.has_image_branch())) {
    throw ModelError(
        "'" + path + "' (" + option + ") is a " + report.dit_config->model_type +
        (report.dit_config->takes_conditioning_latent() && !report.dit_config->has_image_branch()
             ? " (no CLIP branch)"
             : "") +
        " DiT, but preset '" + preset.name + "' needs model_type " + preset.dit.model_type +
        (preset.dit.takes_conditioning_latent() && !preset.dit.has_image_branch()
             ? " without the CLIP branch"
             : "") +
        ": pass the matching checkpoint or a preset for this one "
        "(`motionfarm model inspect FILE` names it)");
  }
  model::WeightLoadOptions load;
  load.placement = {device, model::production_dtype("wan_dit", device)};
  auto dit = std::make_unique<model::WanDiT>(
      preset.dit, model::WanDiTWeights::load(checkpoint, preset.dit, load));
  for (const io::SafetensorsFile& file : checkpoint.files()) {
    const auto found = file.metadata().find(kUntrainedMetadataKey);
    if (found != file.metadata().end()) untrained_label = found->second;
  }
  return dit;
}

}  // namespace

ModelBundle::ModelBundle(ModelBundle&&) noexcept = default;
ModelBundle& ModelBundle::operator=(ModelBundle&&) noexcept = default;
ModelBundle::~ModelBundle() = default;

ModelBundle ModelBundle::load(const ModelPreset& preset, const ModelFiles& files,
                              const BundleOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  preset.validate();
  files.check(preset);

  ModelBundle bundle;
  bundle.preset_ = preset;
  bundle.files_ = files;
  bundle.device_ = options.device;

  bundle.dits_.resize(static_cast<size_t>(preset.dit_count()));
  for (int64_t i = 0; i < preset.dit_count(); ++i) {
    if (!preset.has_experts() || options.experts == ExpertResidency::kAll) bundle.load_expert(i);
  }

  {
    const auto checkpoint = io::SafetensorsCheckpoint::open(files.vae);
    const bool wan22 = preset.vae.architecture == model::VaeArchitecture::kWan22;
    expect_module(checkpoint, wan22 ? "wan22_vae" : "wan_vae", "--vae");
    model::VaeRuntime runtime;
    runtime.device = options.device;
    runtime.dtype = model::production_dtype(wan22 ? "wan22_vae" : "wan_vae", options.device);
    bundle.vae_ = std::make_unique<model::WanVae>(preset.vae, runtime);
    model::load_wan_vae_weights(*bundle.vae_, checkpoint);
  }

  {
    const auto checkpoint = io::SafetensorsCheckpoint::open(files.text_encoder);
    expect_module(checkpoint, "umt5_encoder", "--text-encoder");
    model::EncoderLoadOptions load;
    load.device = options.device;
    load.dtype = model::production_dtype("umt5_encoder", options.device);
    model::TokenizerOptions tokenizer_options;
    tokenizer_options.text_len = preset.text_encoder.text_len;
    tokenizer_options.over_length = options.over_length;
    bundle.text_encoder_ = std::make_unique<model::Umt5PromptEncoder>(
        model::Umt5Encoder::load(checkpoint, preset.text_encoder, load),
        model::PromptTokenizer::open(files.tokenizer, tokenizer_options),
        model::umt5_encoder_identity(checkpoint, files.tokenizer, load), options.prompt_cache);
  }

  if (preset.image_encoder) {
    const auto checkpoint = io::SafetensorsCheckpoint::open(files.image_encoder);
    expect_module(checkpoint, "clip_vision", "--image-encoder");
    model::EncoderLoadOptions load;
    load.device = options.device;
    load.dtype = model::production_dtype("clip_vision", options.device);
    bundle.image_encoder_ = std::make_unique<model::ClipVisionEncoder>(
        model::ClipVisionEncoder::load(checkpoint, *preset.image_encoder, load));
  }

  bundle.load_seconds_ = seconds_since(start);
  MF_LOG(Info, "pipeline") << "loaded preset " << preset.name << " ("
                           << to_string(preset.conditioning()) << ") on " << options.device.str()
                           << " in " << bundle.load_seconds_ << " s"
                           << (bundle.untrained_label_.empty()
                                   ? ""
                                   : "; UNTRAINED: " + bundle.untrained_label_);
  return bundle;
}

const model::WanDiT& ModelBundle::dit(int64_t index) const {
  MF_CHECK(dit_loaded(index), ModelError,
           (index >= 0 && index < preset_.dit_count()
                ? "DiT '" + preset_.dit_name(index) + "' of preset '" + preset_.name +
                      "' is not loaded (ModelBundle::load_expert)"
                : "preset '" + preset_.name + "' has no DiT " + std::to_string(index)));
  return *dits_[static_cast<size_t>(index)];
}

bool ModelBundle::dit_loaded(int64_t index) const {
  return index >= 0 && static_cast<size_t>(index) < dits_.size() &&
         dits_[static_cast<size_t>(index)] != nullptr;
}

void ModelBundle::load_expert(int64_t index) {
  MF_CHECK(index >= 0 && static_cast<size_t>(index) < dits_.size(), ModelError,
           "preset '" << preset_.name << "' has no DiT " << index);
  if (dits_[static_cast<size_t>(index)]) return;
  const auto start = std::chrono::steady_clock::now();
  const std::string& path = files_.dit_file(preset_, index);
  dits_[static_cast<size_t>(index)] = load_dit(preset_, index, path, device_, untrained_label_);
  ++dit_loads_;
  MF_LOG(Info, "pipeline") << "loaded DiT " << preset_.dit_name(index) << " from " << path << " in "
                           << seconds_since(start) << " s";
}

void ModelBundle::release_expert(int64_t index) {
  if (!dit_loaded(index)) return;
  dits_[static_cast<size_t>(index)].reset();
  MF_LOG(Info, "pipeline") << "released DiT " << preset_.dit_name(index);
}

}  // namespace motionfarm::rank
