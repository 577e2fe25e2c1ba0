// Every model a render needs, loaded once and placed on one device: the DiT, the VAE, the umT5
// prompt encoder (tokenizer + encoder + the borrowed prompt cache) and, for Wan2.1 I2V/FLF2V,
// the CLIP image encoder.
//
// Loading checks each file's role before reading its tensors (inspect_checkpoint, names only):
// a VAE file given as the DiT, or a t2v DiT given for an i2v preset, fails with a ModelError that
// names the file, what it holds and what to pass instead. Placement is one parameter: the CPU
// runs everything in float32; CUDA runs the DiT, VAE and umT5 in bfloat16 and CLIP in float16, as
// the reference does. The bundle is immutable after loading except for the prompt encoder's
// cache statistics.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>

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

struct BundleOptions {
  at::Device device{at::kCPU};
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

  const model::WanDiT& dit() const { return *dit_; }
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
  std::unique_ptr<model::WanDiT> dit_;
  std::unique_ptr<model::WanVae> vae_;
  std::unique_ptr<model::Umt5PromptEncoder> text_encoder_;
  std::unique_ptr<model::ClipVisionEncoder> image_encoder_;
  std::string untrained_label_;
  double load_seconds_ = 0.0;
};

}  // namespace motionfarm::rank
