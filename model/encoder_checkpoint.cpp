#include "model/encoder_checkpoint.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {
namespace {

// One tensor in both umT5 conventions. A native name may have several Hugging Face names; the
// table lists them in the order they are tried.
struct NameRule {
  const char* native;
  const char* hugging_face;
};

// The Wan names are those of wan/modules/t5.py; the Hugging Face ones of transformers'
// UMT5EncoderModel. The gated FFN is fc1(x) * gelu(gate(x)) in Wan and
// wi_1(x) * gelu(wi_0(x)) in transformers: wi_0 is the gate, wi_1 the linear branch.
// Inside `blocks.N.` (Hugging Face: `encoder.block.N.`).
constexpr NameRule kUmt5BlockRules[] = {
    {"norm1.weight", "layer.0.layer_norm.weight"},
    {"attn.q.weight", "layer.0.SelfAttention.q.weight"},
    {"attn.k.weight", "layer.0.SelfAttention.k.weight"},
    {"attn.v.weight", "layer.0.SelfAttention.v.weight"},
    {"attn.o.weight", "layer.0.SelfAttention.o.weight"},
    {"pos_embedding.embedding.weight", "layer.0.SelfAttention.relative_attention_bias.weight"},
    {"norm2.weight", "layer.1.layer_norm.weight"},
    {"ffn.gate.0.weight", "layer.1.DenseReluDense.wi_0.weight"},
    {"ffn.fc1.weight", "layer.1.DenseReluDense.wi_1.weight"},
    {"ffn.fc2.weight", "layer.1.DenseReluDense.wo.weight"},
};

// Outside the blocks. transformers ties `encoder.embed_tokens` to `shared`; files hold either.
constexpr NameRule kUmt5TopRules[] = {
    {"token_embedding.weight", "shared.weight"},
    {"token_embedding.weight", "encoder.embed_tokens.weight"},
    {"norm.weight", "encoder.final_layer_norm.weight"},
};

constexpr const char* kNativeBlockPrefix = "blocks.";
constexpr const char* kHuggingFaceBlockPrefix = "encoder.block.";
// The released CLIP checkpoint holds the vision tower under this prefix.
constexpr const char* kClipVisualPrefix = "visual.";

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Splits "blocks.12.attn.q.weight" into ("12", "attn.q.weight"); false when not a block name.
bool split_block_name(const std::string& name, std::string& index, std::string& rest) {
  const std::string prefix = kNativeBlockPrefix;
  if (!starts_with(name, prefix)) return false;
  std::size_t end = prefix.size();
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == prefix.size() || end >= name.size() || name[end] != '.') return false;
  index = name.substr(prefix.size(), end - prefix.size());
  rest = name.substr(end + 1);
  return true;
}

std::vector<std::string> umt5_hugging_face_names(const std::string& native_name) {
  std::vector<std::string> names;
  std::string index;
  std::string rest;
  if (split_block_name(native_name, index, rest)) {
    for (const NameRule& rule : kUmt5BlockRules) {
      if (rest == rule.native) {
        names.push_back(std::string(kHuggingFaceBlockPrefix) + index + "." + rule.hugging_face);
      }
    }
  } else {
    for (const NameRule& rule : kUmt5TopRules) {
      if (native_name == rule.native) names.emplace_back(rule.hugging_face);
    }
  }
  MF_CHECK(!names.empty(), ModelError,
           "no Hugging Face name is known for the umT5 tensor '" << native_name << "'");
  return names;
}

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace

const char* encoder_kind_name(EncoderKind kind) {
  switch (kind) {
    case EncoderKind::kUmt5:
      return "umT5 text encoder";
    case EncoderKind::kClipVision:
      return "CLIP vision tower";
  }
  return "encoder";
}

const char* encoder_layout_name(EncoderLayout layout) {
  switch (layout) {
    case EncoderLayout::kNative:
      return "native";
    case EncoderLayout::kHuggingFace:
      return "huggingface";
    case EncoderLayout::kVisualPrefix:
      return "visual-prefixed";
  }
  return "unknown";
}

EncoderLayout detect_encoder_layout(EncoderKind kind, const std::vector<std::string>& stored_names,
                                    const std::string& source) {
  const auto has = [&stored_names](const char* name) {
    return std::find(stored_names.begin(), stored_names.end(), name) != stored_names.end();
  };
  if (kind == EncoderKind::kUmt5) {
    if (has("token_embedding.weight") || has("norm.weight")) return EncoderLayout::kNative;
    if (has("shared.weight") || has("encoder.embed_tokens.weight") ||
        has("encoder.final_layer_norm.weight")) {
      return EncoderLayout::kHuggingFace;
    }
    throw ModelError(source +
                     " does not hold a umT5 text encoder: it has neither 'token_embedding.weight' "
                     "(Wan names) nor 'shared.weight' / 'encoder.final_layer_norm.weight' (Hugging "
                     "Face UMT5EncoderModel names); pass the text encoder's weights file");
  }
  if (has("patch_embedding.weight")) return EncoderLayout::kNative;
  if (has("visual.patch_embedding.weight")) return EncoderLayout::kVisualPrefix;
  throw ModelError(
      source +
      " does not hold a CLIP vision tower: it has neither 'patch_embedding.weight' nor "
      "'visual.patch_embedding.weight'; pass the CLIP image encoder's weights file");
}

std::vector<std::string> encoder_stored_names(EncoderKind kind, EncoderLayout layout,
                                              const std::string& native_name) {
  switch (layout) {
    case EncoderLayout::kNative:
      return {native_name};
    case EncoderLayout::kHuggingFace:
      MF_CHECK(kind == EncoderKind::kUmt5, ModelError,
               "the Hugging Face layout is only known for the umT5 text encoder");
      return umt5_hugging_face_names(native_name);
    case EncoderLayout::kVisualPrefix:
      MF_CHECK(kind == EncoderKind::kClipVision, ModelError,
               "the visual-prefixed layout is only known for the CLIP vision tower");
      return {kClipVisualPrefix + native_name};
  }
  return {native_name};
}

void EncoderLoadOptions::validate() const {
  MF_CHECK(
      dtype == at::kFloat || dtype == at::kHalf || dtype == at::kBFloat16 || dtype == at::kDouble,
      ConfigError,
      "encoder dtype " << c10::toString(dtype)
                       << " is not supported; use float32, float16 or bfloat16");
}

EncoderCheckpoint::EncoderCheckpoint(io::SafetensorsCheckpoint checkpoint, EncoderKind kind)
    : checkpoint_(std::move(checkpoint)), kind_(kind), layout_(EncoderLayout::kNative) {
  std::vector<std::string> names;
  for (const io::SafetensorsTensorInfo& info : checkpoint_.tensors()) names.push_back(info.name);
  layout_ = detect_encoder_layout(kind_, names, checkpoint_.path());
}

std::string EncoderCheckpoint::stored_name_of(const std::string& native_name) const {
  for (const std::string& name : encoder_stored_names(kind_, layout_, native_name)) {
    if (checkpoint_.contains(name)) return name;
  }
  return "";
}

bool EncoderCheckpoint::contains(const std::string& native_name) const {
  return !stored_name_of(native_name).empty();
}

at::Tensor EncoderCheckpoint::weight(const std::string& native_name, at::IntArrayRef shape,
                                     const EncoderLoadOptions& options) const {
  const std::string stored = stored_name_of(native_name);
  if (stored.empty()) {
    const std::vector<std::string> candidates = encoder_stored_names(kind_, layout_, native_name);
    std::ostringstream names;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      names << (i ? "' or '" : "") << candidates[i];
    }
    throw ModelError(checkpoint_.path() + " has no tensor '" + names.str() + "' (the " +
                     encoder_kind_name(kind_) + "'s '" + native_name + "', " +
                     encoder_layout_name(layout_) +
                     " names): the file holds another model or an incomplete one");
  }
  const at::Tensor stored_tensor = checkpoint_.tensor(stored);
  MF_CHECK(stored_tensor.sizes() == shape, ModelError,
           checkpoint_.path() << ": tensor '" << stored << "' has shape "
                              << shape_text(stored_tensor.sizes()) << " but the "
                              << encoder_kind_name(kind_) << " config expects " << shape_text(shape)
                              << ": the weights are for another size of model");
  MF_CHECK(at::isFloatingType(stored_tensor.scalar_type()), ModelError,
           checkpoint_.path() << ": tensor '" << stored << "' is stored as "
                              << c10::toString(stored_tensor.scalar_type())
                              << "; the encoders read float32, float16 or bfloat16 weights");
  // In the stored dtype on the CPU this stays a zero-copy view of the mapped file.
  return stored_tensor.to(options.device, options.dtype).contiguous();
}

}  // namespace motionfarm::model
