#include "model/vae_checkpoint_names.h"

#include <cstddef>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {
namespace {

struct NameRule {
  const char* native;
  const char* diffusers;
};

// Prefixes of whole module paths, first match wins (longest first where they nest).
constexpr NameRule kPathRules[] = {
    {"encoder.conv1.", "encoder.conv_in."},
    {"decoder.conv1.", "decoder.conv_in."},
    {"encoder.middle.0.", "encoder.mid_block.resnets.0."},
    {"encoder.middle.1.", "encoder.mid_block.attentions.0."},
    {"encoder.middle.2.", "encoder.mid_block.resnets.1."},
    {"decoder.middle.0.", "decoder.mid_block.resnets.0."},
    {"decoder.middle.1.", "decoder.mid_block.attentions.0."},
    {"decoder.middle.2.", "decoder.mid_block.resnets.1."},
    {"encoder.head.0.", "encoder.norm_out."},
    {"encoder.head.2.", "encoder.conv_out."},
    {"decoder.head.0.", "decoder.norm_out."},
    {"decoder.head.2.", "decoder.conv_out."},
    {"conv1.", "quant_conv."},
    {"conv2.", "post_quant_conv."},
};

// Inside a residual block (the reference's nn.Sequential indices -> named modules).
constexpr NameRule kResidualRules[] = {
    {"residual.0.", "norm1."}, {"residual.2.", "conv1."},       {"residual.3.", "norm2."},
    {"residual.6.", "conv2."}, {"shortcut.", "conv_shortcut."},
};

// Names only diffusers uses.
constexpr const char* kDiffusersMarkers[] = {"conv_in.",   "mid_block.",  "down_blocks.",
                                             "up_blocks.", "quant_conv.", "norm_out."};

constexpr const char* kCombinedPrefixes[] = {"vae.", "first_stage_model."};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string rename_residual(const std::string& suffix) {
  for (const auto& rule : kResidualRules) {
    if (starts_with(suffix, rule.native)) {
      return rule.diffusers + suffix.substr(std::string(rule.native).size());
    }
  }
  return suffix;
}

// "<N>.<rest>" -> {N, rest}
std::pair<int64_t, std::string> split_index(const std::string& text) {
  const std::size_t dot = text.find('.');
  return {std::stoll(text.substr(0, dot)), text.substr(dot + 1)};
}

std::string diffusers_name(const std::string& native, const VaeConfig& config) {
  MF_CHECK(config.architecture == VaeArchitecture::kWan21, ModelError,
           "the diffusers layout of the Wan2.2 VAE is not mapped; use the native Wan2.2_VAE.pth "
           "names (or ComfyUI's wan2.2_vae.safetensors)");
  MF_CHECK(config.attn_scales.empty(), ModelError,
           "the diffusers VAE layout has no attention inside the levels (attn_scales must be "
           "empty)");
  for (const auto& rule : kPathRules) {
    if (starts_with(native, rule.native)) {
      return rule.diffusers + rename_residual(native.substr(std::string(rule.native).size()));
    }
  }
  const std::string encoder_levels = "encoder.downsamples.";
  if (starts_with(native, encoder_levels)) {
    // diffusers keeps the encoder's flat numbering (residual blocks and resamplers alike).
    const auto [index, rest] = split_index(native.substr(encoder_levels.size()));
    return "encoder.down_blocks." + std::to_string(index) + "." + rename_residual(rest);
  }
  const std::string decoder_levels = "decoder.upsamples.";
  if (starts_with(native, decoder_levels)) {
    // Each decoder level is num_res_blocks + 1 residual blocks then one resampler (none on the
    // last level); diffusers groups them as up_blocks.L.resnets.j / up_blocks.L.upsamplers.0.
    const auto [index, rest] = split_index(native.substr(decoder_levels.size()));
    const int64_t per_level = config.num_res_blocks + 2;
    const int64_t level = index / per_level;
    const int64_t j = index % per_level;
    if (j <= config.num_res_blocks) {
      return "decoder.up_blocks." + std::to_string(level) + ".resnets." + std::to_string(j) + "." +
             rename_residual(rest);
    }
    return "decoder.up_blocks." + std::to_string(level) + ".upsamplers.0." + rest;
  }
  return native;
}

}  // namespace

std::string detect_vae_name_prefix(const std::vector<std::string>& stored_names) {
  for (const char* prefix : kCombinedPrefixes) {
    for (const auto& name : stored_names) {
      if (starts_with(name, prefix)) return prefix;
    }
  }
  return "";
}

CheckpointLayout detect_vae_checkpoint_layout(const std::vector<std::string>& stored_names) {
  const std::string prefix = detect_vae_name_prefix(stored_names);
  for (const auto& name : stored_names) {
    if (!starts_with(name, prefix)) continue;
    for (const char* marker : kDiffusersMarkers) {
      if (name.find(marker) != std::string::npos) return CheckpointLayout::kDiffusers;
    }
  }
  return CheckpointLayout::kNative;
}

std::string vae_name_from_native(const std::string& native_name, CheckpointLayout layout,
                                 const VaeConfig& config) {
  switch (layout) {
    case CheckpointLayout::kNative:
    case CheckpointLayout::kComfyUI:
      return native_name;
    case CheckpointLayout::kDiffusers:
      return diffusers_name(native_name, config);
  }
  return native_name;
}

}  // namespace motionfarm::model
