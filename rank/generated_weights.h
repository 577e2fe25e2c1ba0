// Seeded stand-in weights for every part of a preset, written as safetensors under the native
// tensor names, so they go through the same loaders as released checkpoints.
//
// Each tensor is model::seeded_normal keyed by (seed, "<part>/<tensor name>"), so the files are
// the same bytes on any machine and LibTorch version, scaled like a freshly initialised network:
// norm gains 1, biases small, the DiT's modulation tables 1/sqrt(dim), every other weight
// 1/sqrt(fan_in). These weights are not trained: a render with them checks the pipeline, it does
// not make a video of the prompt.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/clip_config.h"
#include "model/parameter_specs.h"
#include "model/umt5_config.h"
#include "rank/model_files.h"
#include "rank/model_preset.h"

namespace motionfarm::rank {

// The native tensors of the umT5 encoder and the CLIP vision tower (all blocks), in
// state_dict order.
std::vector<model::ParameterSpec> umt5_parameter_specs(const model::Umt5Config& config);
std::vector<model::ParameterSpec> clip_vision_parameter_specs(
    const model::ClipVisionConfig& config);

// The generated value of one tensor of `part` ("dit", "vae", "text_encoder", "image_encoder").
at::Tensor generated_tensor(const std::string& part, const model::ParameterSpec& spec,
                            uint64_t seed);

struct GeneratedWeightsOptions {
  uint64_t seed = 0;
  std::map<std::string, std::string> metadata;  // written into every file's __metadata__
  // A DiT path ending in .safetensors.index.json is written as this many shards
  // (`diffusion_pytorch_model-0000N-of-0000M.safetensors`, about equal in size) plus the index,
  // with the release's config.json beside them: the layout of the public releases.
  int64_t dit_shards = 2;
};

// Writes the DiT (one per expert for a preset with experts, each with its own values: part
// "dit/<expert name>"), VAE, text encoder and (with a CLIP branch) image encoder files named by
// `files`, creating their folders. The tokenizer is not written here. Throws Error when a file
// cannot be written.
void write_generated_weights(const ModelPreset& preset, const ModelFiles& files,
                             const GeneratedWeightsOptions& options);

// Generated weights in `folder` laid out as the public release of `preset` (rank/model_files.h):
// the DiT sharded with its index and config.json, at the top or in each expert's folder, and the
// other parts under their release names (converted to .safetensors). Returns the files, as
// ModelFiles::in_folder finds them afterwards. The tokenizer is not written here.
ModelFiles write_generated_release(const ModelPreset& preset, const std::string& folder,
                                   const GeneratedWeightsOptions& options);

}  // namespace motionfarm::rank
