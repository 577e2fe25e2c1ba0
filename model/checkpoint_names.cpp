#include "model/checkpoint_names.h"

#include <cctype>
#include <cstddef>

namespace motionfarm::model {
namespace {

constexpr const char* kComfyPrefix = "model.diffusion_model.";

// One module path in both conventions. Names match on whole dotted components, so
// `cross_attn.k` never matches `cross_attn.k_img.weight`.
struct NameRule {
  const char* native;
  const char* diffusers;
};

// Modules inside `blocks.N.` (diffusers keeps the block prefix unchanged).
constexpr NameRule kBlockRules[] = {
    {"self_attn.q", "attn1.to_q"},
    {"self_attn.k", "attn1.to_k"},
    {"self_attn.v", "attn1.to_v"},
    {"self_attn.o", "attn1.to_out.0"},
    {"self_attn.norm_q", "attn1.norm_q"},
    {"self_attn.norm_k", "attn1.norm_k"},
    {"cross_attn.q", "attn2.to_q"},
    {"cross_attn.k", "attn2.to_k"},
    {"cross_attn.v", "attn2.to_v"},
    {"cross_attn.o", "attn2.to_out.0"},
    {"cross_attn.norm_q", "attn2.norm_q"},
    {"cross_attn.norm_k", "attn2.norm_k"},
    {"cross_attn.k_img", "attn2.add_k_proj"},
    {"cross_attn.v_img", "attn2.add_v_proj"},
    {"cross_attn.norm_k_img", "attn2.norm_added_k"},
    // The reference applies norm1, norm3 (cross-attention), norm2 (FFN); diffusers renumbers
    // them in call order. Only the affine cross-attention norm has stored tensors.
    {"norm3", "norm2"},
    {"norm2", "norm3"},
    {"ffn.0", "ffn.net.0.proj"},
    {"ffn.2", "ffn.net.2"},
    {"modulation", "scale_shift_table"},
};

// Modules outside the blocks.
constexpr NameRule kTopRules[] = {
    {"text_embedding.0", "condition_embedder.text_embedder.linear_1"},
    {"text_embedding.2", "condition_embedder.text_embedder.linear_2"},
    {"time_embedding.0", "condition_embedder.time_embedder.linear_1"},
    {"time_embedding.2", "condition_embedder.time_embedder.linear_2"},
    {"time_projection.1", "condition_embedder.time_proj"},
    {"head.modulation", "scale_shift_table"},
    {"head.head", "proj_out"},
    {"img_emb.proj.0", "condition_embedder.image_embedder.norm1"},
    {"img_emb.proj.1", "condition_embedder.image_embedder.ff.net.0.proj"},
    {"img_emb.proj.3", "condition_embedder.image_embedder.ff.net.2"},
    {"img_emb.proj.4", "condition_embedder.image_embedder.norm2"},
    {"img_emb.emb_pos", "condition_embedder.image_embedder.pos_embed"},
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Length of the `blocks.N.` prefix of `name`, or 0 when it has none.
std::size_t block_prefix_length(const std::string& name) {
  const std::string blocks = "blocks.";
  if (!starts_with(name, blocks)) return 0;
  std::size_t end = blocks.size();
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == blocks.size() || end >= name.size() || name[end] != '.') return 0;
  return end + 1;
}

// Replaces the leading module path `from` (a whole dotted prefix or the whole name) by `to`.
bool rewrite_prefix(const std::string& name, const std::string& from, const std::string& to,
                    std::string& out) {
  if (!starts_with(name, from)) return false;
  if (name.size() != from.size() && name[from.size()] != '.') return false;
  out = to + name.substr(from.size());
  return true;
}

template <std::size_t N>
std::string apply_rules(const std::string& name, const NameRule (&rules)[N], bool to_native) {
  std::string out;
  for (const NameRule& rule : rules) {
    const char* from = to_native ? rule.diffusers : rule.native;
    const char* to = to_native ? rule.native : rule.diffusers;
    if (rewrite_prefix(name, from, to, out)) return out;
  }
  return name;
}

std::string convert_diffusers(const std::string& name, bool to_native) {
  const std::size_t block = block_prefix_length(name);
  if (block > 0) {
    return name.substr(0, block) + apply_rules(name.substr(block), kBlockRules, to_native);
  }
  return apply_rules(name, kTopRules, to_native);
}

}  // namespace

const char* checkpoint_layout_name(CheckpointLayout layout) {
  switch (layout) {
    case CheckpointLayout::kNative:
      return "native";
    case CheckpointLayout::kComfyUI:
      return "comfyui";
    case CheckpointLayout::kDiffusers:
      return "diffusers";
  }
  return "unknown";
}

CheckpointLayout detect_checkpoint_layout(const std::vector<std::string>& stored_names) {
  bool diffusers = false;
  for (const std::string& name : stored_names) {
    if (starts_with(name, kComfyPrefix)) return CheckpointLayout::kComfyUI;
    const std::size_t block = block_prefix_length(name);
    const std::string local = name.substr(block);
    if (starts_with(local, "condition_embedder.") || starts_with(local, "attn1.") ||
        starts_with(local, "attn2.") || starts_with(local, "proj_out.") ||
        local == "scale_shift_table") {
      diffusers = true;
    }
  }
  return diffusers ? CheckpointLayout::kDiffusers : CheckpointLayout::kNative;
}

std::string to_native_name(const std::string& stored_name, CheckpointLayout layout) {
  switch (layout) {
    case CheckpointLayout::kNative:
      return stored_name;
    case CheckpointLayout::kComfyUI:
      return starts_with(stored_name, kComfyPrefix)
                 ? stored_name.substr(std::string(kComfyPrefix).size())
                 : stored_name;
    case CheckpointLayout::kDiffusers:
      return convert_diffusers(stored_name, true);
  }
  return stored_name;
}

std::string from_native_name(const std::string& native_name, CheckpointLayout layout) {
  switch (layout) {
    case CheckpointLayout::kNative:
      return native_name;
    case CheckpointLayout::kComfyUI:
      return kComfyPrefix + native_name;
    case CheckpointLayout::kDiffusers:
      return convert_diffusers(native_name, false);
  }
  return native_name;
}

}  // namespace motionfarm::model
