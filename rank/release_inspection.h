// What a model folder laid out as published holds (Wan-AI's Hugging Face repositories): which
// preset it matches, its DiT(s) with their shards and config.json, and which of the preset's other
// files are there. Backs `motionfarm model inspect FOLDER`.
//
//   Wan2.2-I2V-A14B/  high_noise_model/{config.json, diffusion_pytorch_model-0000N-of-00006
//                     .safetensors, diffusion_pytorch_model.safetensors.index.json}, the same in
//                     low_noise_model/, Wan2.1_VAE.pth, models_t5_umt5-xxl-enc-bf16.pth,
//                     google/umt5-xxl/
//   Wan2.2-TI2V-5B/   config.json and the sharded DiT at the top, Wan2.2_VAE.pth, umT5 as above
//
// Names, shapes and config.json only: no tensor data is read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::rank {

// One DiT of the folder: the top-level one, or an expert's in its subfolder.
struct ReleaseDiT {
  std::string name;         // the expert's name (its folder without a matching preset), or "dit"
  std::string folder;       // relative to the release folder; "" for the top level
  std::string path;         // the index, or the single .safetensors
  std::string config_path;  // "" when the folder has no config.json
  int64_t shard_count = 0;  // 1 for a single file
  std::vector<std::string> missing_shards;
  int64_t tensor_count = 0;
  int64_t parameter_count = 0;  // 0 when the shards could not all be opened
};

// A file the matched preset needs besides the DiT.
struct ReleasePart {
  std::string role;  // "vae", "text encoder", "tokenizer", "image encoder"
  std::string path;
  bool present = false;
};

struct ReleaseInspection {
  std::string folder;
  // The preset checked against: the one asked for, else the first whose layout (experts'
  // folders), config.json and tensors all fit; else the first whose layout fits. "" when none.
  std::string preset;
  bool matched = false;                    // the preset fits with no problem in its DiT(s)
  std::vector<std::string> other_matches;  // further presets that fit as well
  int64_t expert_count = 0;                // the preset's experts (0: one DiT)
  std::vector<ReleaseDiT> dits;
  std::vector<ReleasePart> parts;
  std::vector<std::string> problems;  // empty: everything there and fitting
};

// True for a folder with a config.json or a subfolder holding a DiT (an expert's).
bool looks_like_release_folder(const std::string& path);

// Inspects `folder` (see the file comment), against `preset` when given. Throws InputError when
// the folder holds no DiT at all, ConfigError for an unknown `preset`.
ReleaseInspection inspect_release_folder(const std::string& folder, const std::string& preset = "");

}  // namespace motionfarm::rank
