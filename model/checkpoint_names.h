// Every DiT checkpoint-name convention motionfarm reads, and the one table that converts between
// them (all name conversion lives here, as in stable-diffusion.cpp).
//
//   kNative     the Wan reference's own names (`blocks.0.self_attn.q.weight`), as in the released
//               Wan2.1/Wan2.2 `diffusion_pytorch_model*.safetensors`.
//   kComfyUI    ComfyUI's repackaged single files: the native names under `model.diffusion_model.`.
//   kDiffusers  diffusers' `WanTransformer3DModel` (`blocks.0.attn1.to_q.weight`,
//               `condition_embedder.*`, `proj_out`, `scale_shift_table`), as written by diffusers'
//               scripts/convert_wan_to_diffusers.py. Note the swapped norms: diffusers' `norm2` is
//               the native affine `norm3` (before cross-attention).
#pragma once

#include <string>
#include <vector>

namespace motionfarm::model {

enum class CheckpointLayout { kNative, kComfyUI, kDiffusers };

// "native", "comfyui", "diffusers".
const char* checkpoint_layout_name(CheckpointLayout layout);

// The layout a checkpoint's tensor names are in: kComfyUI when any name carries the ComfyUI
// prefix, kDiffusers when any name uses a diffusers-only module (condition_embedder, attn1/attn2,
// proj_out, scale_shift_table), kNative otherwise.
CheckpointLayout detect_checkpoint_layout(const std::vector<std::string>& stored_names);

// Stored name in `layout` -> native name. A name no rule covers comes back unchanged (minus the
// ComfyUI prefix), so a strict load reports it as unexpected under a recognisable name.
std::string to_native_name(const std::string& stored_name, CheckpointLayout layout);

// Native name -> the name `layout` stores it under (for writing converted checkpoints and tests).
std::string from_native_name(const std::string& native_name, CheckpointLayout layout);

}  // namespace motionfarm::model
