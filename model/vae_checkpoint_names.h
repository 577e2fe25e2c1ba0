// Every VAE checkpoint-name convention motionfarm reads, and the one table that converts between
// them (DiT names live in checkpoint_names.h).
//
//   kNative     the reference module's state_dict names, as in `Wan2.1_VAE.pth` / `Wan2.2_VAE.pth`
//               (`encoder.conv1.weight`, `decoder.upsamples.0.residual.0.gamma`, `conv1.weight`).
//   kComfyUI    ComfyUI's repackaged `wan_2.1_vae.safetensors` / `wan2.2_vae.safetensors` store the
//               native names unchanged; ComfyUI's all-in-one checkpoints put them under `vae.`.
//   kDiffusers  diffusers' `AutoencoderKLWan` for the Wan2.1 VAE, as written by diffusers'
//               scripts/convert_wan_to_diffusers.py (`encoder.conv_in`, `mid_block.resnets.0`,
//               `up_blocks.L.resnets.j`, `quant_conv`, `norm1`/`conv1`...). The Wan2.2 VAE's
//               diffusers layout is not mapped.
#pragma once

#include <string>
#include <vector>

#include "model/checkpoint_names.h"
#include "model/vae_config.h"

namespace motionfarm::model {

// The prefix a combined checkpoint stores the VAE under ("vae." for ComfyUI, "first_stage_model."
// for the older single-file layout), or "" when the VAE's names stand alone.
std::string detect_vae_name_prefix(const std::vector<std::string>& stored_names);

// kDiffusers when any name (after the prefix) uses a diffusers-only module, else kNative.
CheckpointLayout detect_vae_checkpoint_layout(const std::vector<std::string>& stored_names);

// Native name -> the name `layout` stores it under (without any combined-checkpoint prefix).
// Throws ModelError for kDiffusers with a layout it does not map (the Wan2.2 VAE, or attention
// inside the levels).
std::string vae_name_from_native(const std::string& native_name, CheckpointLayout layout,
                                 const VaeConfig& config);

}  // namespace motionfarm::model
