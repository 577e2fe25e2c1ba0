// Loads a Wan VAE's weights strictly: every tensor the architecture needs must be in the
// checkpoint with the right shape, and the checkpoint may hold nothing else under the VAE's
// names. Native, ComfyUI (also inside an all-in-one checkpoint, under `vae.`) and diffusers
// layouts are recognised by their names (vae_checkpoint_names.h).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

#include "model/checkpoint_names.h"
#include "model/wan_vae.h"

namespace motionfarm::io {
class SafetensorsCheckpoint;
}

namespace motionfarm::model {

struct VaeLoadReport {
  CheckpointLayout layout = CheckpointLayout::kNative;
  std::string prefix;   // "vae." when read from a combined checkpoint
  int64_t tensors = 0;  // tensors loaded
};

// Converts each tensor to the VAE's runtime dtype/device (zero-copy when they already match).
// Throws ModelError naming `source` and listing every missing, unexpected and mis-shaped tensor
// (by stored name) when the checkpoint does not fit `vae`'s config.
VaeLoadReport load_wan_vae_weights(WanVae& vae, const std::map<std::string, at::Tensor>& stored,
                                   const std::string& source);
VaeLoadReport load_wan_vae_weights(WanVae& vae, const io::SafetensorsCheckpoint& checkpoint);

}  // namespace motionfarm::model
