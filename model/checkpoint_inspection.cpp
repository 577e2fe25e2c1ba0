#include "model/checkpoint_inspection.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/config_paths.h"
#include "core/error.h"
#include "model/checkpoint_names.h"
#include "model/parameter_specs.h"

namespace motionfarm::model {

namespace {

using ShapeMap = std::map<std::string, std::vector<int64_t>>;

bool has(const ShapeMap& shapes, const std::string& name) { return shapes.count(name) > 0; }

std::string format_shape(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

bool has_prefix(const ShapeMap& shapes, const std::string& prefix) {
  const auto it = shapes.lower_bound(prefix);
  return it != shapes.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

std::string detect_module(const ShapeMap& native, const ShapeMap& stored) {
  if (has(native, "patch_embedding.weight") && has(native, "head.head.weight")) return "wan_dit";
  if (has_prefix(stored, "encoder.conv1.") && has_prefix(stored, "decoder.conv1.")) {
    const auto& decoder_in = stored.at("decoder.conv1.weight");
    return decoder_in.size() >= 2 && decoder_in[1] == 48 ? "wan22_vae" : "wan_vae";
  }
  if (has(stored, "token_embedding.weight") || has(stored, "shared.weight") ||
      has_prefix(stored, "encoder.block.0.layer.0.SelfAttention.")) {
    return "umt5_encoder";
  }
  if (has(stored, "cls_embedding") || has(stored, "visual.cls_embedding")) return "clip_vision";
  return "unknown";
}

// The DiT architecture the shapes imply. The head count is not in any shape: it comes from a
// matching preset, else Wan's head width of 128.
WanDiTConfig infer_dit_config(const ShapeMap& native) {
  WanDiTConfig config;
  const auto& patch = native.at("patch_embedding.weight");  // [dim, in_dim, pt, ph, pw]
  config.dim = patch[0];
  config.in_dim = patch[1];
  config.patch_size = {patch[2], patch[3], patch[4]};
  int64_t layers = 0;
  while (has(native, "blocks." + std::to_string(layers) + ".modulation")) ++layers;
  config.num_layers = layers;
  if (has(native, "blocks.0.ffn.0.weight")) config.ffn_dim = native.at("blocks.0.ffn.0.weight")[0];
  if (has(native, "text_embedding.0.weight")) {
    config.text_dim = native.at("text_embedding.0.weight")[1];
  }
  if (has(native, "time_embedding.0.weight")) {
    config.freq_dim = native.at("time_embedding.0.weight")[1];
  }
  config.out_dim = native.at("head.head.weight")[0] / (patch[2] * patch[3] * patch[4]);
  config.qk_norm = has(native, "blocks.0.self_attn.norm_q.weight");
  config.cross_attn_norm = has(native, "blocks.0.norm3.weight");
  if (has(native, "img_emb.emb_pos")) {
    config.model_type = "flf2v";
  } else if (has_prefix(native, "img_emb.")) {
    config.model_type = "i2v";
  } else if (config.in_dim > config.out_dim) {
    // y concatenated to x without the CLIP branch: Wan2.2's i2v (A14B).
    config.model_type = "i2v";
    config.clip_image_branch = false;
  } else {
    config.model_type = config.in_dim == 48 ? "ti2v" : "t2v";
  }
  config.num_heads = std::max<int64_t>(1, config.dim / 128);
  return config;
}

bool same_architecture(const WanDiTConfig& a, const WanDiTConfig& b) {
  return a.model_type == b.model_type && a.dim == b.dim && a.ffn_dim == b.ffn_dim &&
         a.num_layers == b.num_layers && a.in_dim == b.in_dim && a.out_dim == b.out_dim &&
         a.text_dim == b.text_dim && a.patch_size == b.patch_size &&
         a.has_image_branch() == b.has_image_branch();
}

std::vector<std::string> spec_problems(const WanDiTConfig& config, const ShapeMap& native,
                                       const std::string& against) {
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
    expected.insert(spec.name);
    const auto found = native.find(spec.name);
    if (found == native.end()) {
      problems.push_back("missing " + spec.name + " " + format_shape(spec.shape) + " (" + against +
                         ")");
    } else if (found->second != spec.shape) {
      problems.push_back("mis-shaped " + spec.name + ": " + format_shape(found->second) +
                         ", expected " + format_shape(spec.shape) + " (" + against + ")");
    }
  }
  for (const auto& [name, shape] : native) {
    if (!expected.count(name)) problems.push_back("unexpected " + name + " " + format_shape(shape));
  }
  return problems;
}

}  // namespace

std::vector<std::string> dit_preset_names() {
  std::set<std::string> names;
  for (const std::string& dir : core::config_search_dirs()) {
    const std::filesystem::path models = std::filesystem::path(dir) / "models";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(models, error)) {
      if (entry.path().extension() != ".yaml") continue;
      try {
        load_wan_dit_config_file(entry.path().string());
        names.insert(entry.path().stem().string());
      } catch (const Error&) {
        // Not a DiT preset (a VAE or encoder preset): skipped.
      }
    }
  }
  return {names.begin(), names.end()};
}

CheckpointInspection inspect_checkpoint(const io::SafetensorsCheckpoint& checkpoint,
                                        const std::string& preset) {
  CheckpointInspection report;
  report.path = checkpoint.path();
  ShapeMap stored;
  std::vector<std::string> names;
  for (const io::SafetensorsTensorInfo& info : checkpoint.tensors()) {
    stored[info.name] = info.shape;
    names.push_back(info.name);
    ++report.tensor_count;
    int64_t numel = 1;
    for (int64_t d : info.shape) numel *= d;
    report.parameter_count += numel;
    report.bytes += static_cast<int64_t>(info.data_end - info.data_begin);
    ++report.dtype_counts[io::to_string(info.dtype)];
  }
  const CheckpointLayout layout = detect_checkpoint_layout(names);
  ShapeMap native;
  for (const auto& [name, shape] : stored) native[to_native_name(name, layout)] = shape;
  report.module = detect_module(native, stored);
  if (report.module != "wan_dit") return report;

  report.layout = checkpoint_layout_name(layout);
  WanDiTConfig config = infer_dit_config(native);
  std::string against = "the architecture inferred from the shapes";
  if (!preset.empty()) {
    config = load_dit_preset(preset);
    report.matched_preset = preset;
    against = "preset " + preset;
  } else {
    for (const std::string& name : dit_preset_names()) {
      const WanDiTConfig candidate = load_dit_preset(name);
      if (same_architecture(candidate, config)) {
        config = candidate;
        report.matched_preset = name;
        against = "preset " + name;
        break;
      }
    }
  }
  report.dit_config = config;
  report.problems = spec_problems(config, native, against);
  return report;
}

}  // namespace motionfarm::model
