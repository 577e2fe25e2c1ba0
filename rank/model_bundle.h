// Every model a render needs, loaded once and placed on one device: the DiT (or, for a preset
// with experts, one DiT per expert), the VAE, the umT5 prompt encoder (tokenizer + encoder + the
// borrowed prompt cache) and, for Wan2.1 I2V/FLF2V, the CLIP image encoder.
//
// Loading checks each file's role before reading its tensors (inspect_checkpoint, names only):
// a VAE file given as the DiT, or a t2v DiT given for an i2v preset, fails with a ModelError that
// names the file, what it holds and what to pass instead. A DiT with the release's config.json
// beside it is checked against the preset first (model/release_dit_config.h): a mismatch fails
// naming the field, the file and both values.
//
// Experts: with ExpertResidency::kAll every expert's DiT is loaded and stays (two Wan2.2 A14B
// experts: about 2 × 28 GiB in bf16); with kOnDemand none is loaded at first and the caller moves
// one in and out (load_expert / release_expert), e.g. a farm group that holds one expert at a time
// and runs a phase for a batch of clips between swaps. dit_loads() counts the DiT files read.
// Placement is one parameter: the CPU runs everything in float32; CUDA runs the DiT, VAE and umT5
// in bfloat16 and CLIP in float16, as the reference does. The bundle is immutable after loading
// except for the prompt encoder's cache statistics.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/clip_vision_encoder.h"
#include "model/prompt_cache.h"
#include "model/tokenizer.h"
#include "model/umt5_prompt_encoder.h"
#include "model/wan_dit.h"
#include "model/wan_vae.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"

namespace motionfarm::rank {

// A DiT file whose safetensors metadata has this key holds weights that were never trained (the
// generated demo model); its value is the label. Every clip rendered from it carries the label.
inline constexpr char kUntrainedMetadataKey[] = "motionfarm.untrained";

// Which expert DiTs a bundle holds (presets with experts; a single DiT is always loaded).
enum class ExpertResidency {
  kAll,       // load() loads every expert and keeps it
  kOnDemand,  // load() loads none; load_expert() / release_expert() move one in and out
};

struct BundleOptions {
  at::Device device{at::kCPU};
  ExpertResidency experts = ExpertResidency::kAll;
  model::PromptEmbeddingCache* prompt_cache = nullptr;  // borrowed; may be null
  model::OverLengthPolicy over_length = model::OverLengthPolicy::kReject;
};

class ModelBundle {
 public:
  // Throws InputError for a missing file (naming the option), ModelError for a file that holds
  // another module or architecture, ConfigError for an inconsistent preset.
  static ModelBundle load(const ModelPreset& preset, const ModelFiles& files,
                          const BundleOptions& options = {});

  ModelBundle(ModelBundle&&) noexcept;
  ModelBundle& operator=(ModelBundle&&) noexcept;
  ~ModelBundle();

  const ModelPreset& preset() const { return preset_; }
  const ModelFiles& files() const { return files_; }
  at::Device device() const { return device_; }

  // DiT `index` of the preset (ModelPreset::dit_count; 0 without experts). Throws ModelError
  // naming the expert when it is not loaded.
  const model::WanDiT& dit(int64_t index = 0) const;
  bool dit_loaded(int64_t index) const;
  // Loads DiT `index` (files().dit_file) onto the bundle's device unless it is loaded; throws as
  // load() does for a DiT file.
  void load_expert(int64_t index);
  // Frees DiT `index` (nothing when it is not loaded). Nothing may still borrow it (a denoiser).
  void release_expert(int64_t index);
  // DiT files read so far, load() included (the farm counts expert swaps with it).
  int64_t dit_loads() const { return dit_loads_; }
  const model::WanVae& vae() const { return *vae_; }
  model::Umt5PromptEncoder& text_encoder() { return *text_encoder_; }
  // Null for presets without an image branch (ti2v).
  const model::ClipVisionEncoder* image_encoder() const { return image_encoder_.get(); }

  // The untrained-weights label of the DiT file (see kUntrainedMetadataKey), or "".
  const std::string& untrained_label() const { return untrained_label_; }
  double load_seconds() const { return load_seconds_; }

 private:
  ModelBundle() = default;

  ModelPreset preset_;
  ModelFiles files_;
  at::Device device_{at::kCPU};
  std::vector<std::unique_ptr<model::WanDiT>> dits_;  // one per DiT; null when not loaded
  int64_t dit_loads_ = 0;
  std::unique_ptr<model::WanVae> vae_;
  std::unique_ptr<model::Umt5PromptEncoder> text_encoder_;
  std::unique_ptr<model::ClipVisionEncoder> image_encoder_;
  std::string untrained_label_;
  double load_seconds_ = 0.0;
};

}  // namespace motionfarm::rank
