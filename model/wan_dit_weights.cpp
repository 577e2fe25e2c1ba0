#include "model/wan_dit_weights.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "model/parameter_specs.h"

namespace motionfarm::model {
namespace {

// A tensor as stored, before its bytes are read.
struct StoredTensor {
  std::string stored_name;
  std::vector<int64_t> shape;
  at::ScalarType dtype;
  std::function<at::Tensor()> fetch;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

std::string describe(const WanDiTConfig& config) {
  std::ostringstream out;
  out << (config.family.empty() ? "" : config.family + " ") << config.model_type << " DiT (dim "
      << config.dim << ", " << config.num_layers << " layers, in_dim " << config.in_dim << ")";
  return out.str();
}

void append_list(std::ostringstream& out, const char* title,
                 const std::vector<std::string>& entries) {
  if (entries.empty()) return;
  out << "\n  " << title << " (" << entries.size() << "):";
  for (const std::string& entry : entries) out << "\n    " << entry;
}

// Checks `stored` (keyed by native name) against the config's specs; throws one ModelError with
// every problem, or returns the tensors placed.
std::map<std::string, at::Tensor> check_and_place(const std::map<std::string, StoredTensor>& stored,
                                                  const std::vector<std::string>& duplicates,
                                                  const WanDiTConfig& config,
                                                  const WeightLoadOptions& options,
                                                  const std::string& source,
                                                  CheckpointLayout layout) {
  const std::vector<ParameterSpec> specs = wan_dit_parameter_specs(config);
  std::map<std::string, const ParameterSpec*> by_name;
  for (const ParameterSpec& spec : specs) by_name[spec.name] = &spec;

  std::vector<std::string> missing, unexpected, misshaped, bad_dtype;
  for (const ParameterSpec& spec : specs) {
    const auto found = stored.find(spec.name);
    if (found == stored.end()) {
      missing.push_back(spec.name + " " + shape_text(spec.shape) + " (looked for '" +
                        from_native_name(spec.name, layout) + "')");
      continue;
    }
    const StoredTensor& tensor = found->second;
    if (tensor.shape != spec.shape) {
      misshaped.push_back(spec.name + ": stored " + shape_text(tensor.shape) + " as '" +
                          tensor.stored_name + "', expected " + shape_text(spec.shape));
    }
    if (!at::isFloatingType(tensor.dtype)) {
      bad_dtype.push_back(spec.name + ": stored as " + std::string(c10::toString(tensor.dtype)) +
                          ", expected a floating-point type");
    }
  }
  if (options.strict) {
    for (const auto& [native, tensor] : stored) {
      if (by_name.count(native) == 0) {
        unexpected.push_back("'" + tensor.stored_name + "' " + shape_text(tensor.shape) +
                             (native == tensor.stored_name ? "" : " (read as '" + native + "')"));
      }
    }
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !bad_dtype.empty() ||
      !duplicates.empty()) {
    std::ostringstream message;
    message << source << " (" << checkpoint_layout_name(layout)
            << " tensor names) does not fit the " << describe(config) << ":";
    append_list(message, "missing", missing);
    append_list(message, "unexpected", unexpected);
    append_list(message, "mis-shaped", misshaped);
    append_list(message, "wrong dtype", bad_dtype);
    append_list(message, "stored twice", duplicates);
    message << "\nCheck that the model preset matches the checkpoint (size, t2v/i2v/ti2v)";
    if (!options.strict)
      message << ".";
    else
      message << ", or load non-strictly to ignore unexpected tensors.";
    throw ModelError(message.str());
  }

  std::map<std::string, at::Tensor> placed;
  const WeightPlacement& where = options.placement;
  for (const ParameterSpec& spec : specs) {
    // Move first, convert on the device: a bf16 file crosses to the GPU at half the bytes.
    const at::Tensor on_device = stored.at(spec.name).fetch().to(where.device);
    placed[spec.name] = on_device.to(spec.keep_fp32 ? at::kFloat : where.compute_dtype);
  }
  return placed;
}

}  // namespace

WanDiTWeights::WanDiTWeights(WanDiTConfig config, WeightPlacement placement,
                             CheckpointLayout layout, std::map<std::string, at::Tensor> tensors)
    : config_(std::move(config)),
      placement_(placement),
      layout_(layout),
      tensors_(std::move(tensors)) {
  build_views();
}

WanDiTWeights WanDiTWeights::load(const io::SafetensorsCheckpoint& checkpoint,
                                  const WanDiTConfig& config, const WeightLoadOptions& options) {
  const std::vector<io::SafetensorsTensorInfo> infos = checkpoint.tensors();
  std::vector<std::string> names;
  names.reserve(infos.size());
  for (const auto& info : infos) names.push_back(info.name);
  const CheckpointLayout layout = detect_checkpoint_layout(names);

  std::map<std::string, StoredTensor> stored;
  std::vector<std::string> duplicates;
  for (const auto& info : infos) {
    const std::string native = to_native_name(info.name, layout);
    const std::string stored_name = info.name;
    StoredTensor entry{stored_name, info.shape, io::to_scalar_type(info.dtype),
                       [checkpoint, stored_name] { return checkpoint.tensor(stored_name); }};
    const auto [it, inserted] = stored.emplace(native, std::move(entry));
    if (!inserted) {
      duplicates.push_back(native + ": as '" + it->second.stored_name + "' and '" + info.name +
                           "'");
    }
  }
  std::map<std::string, at::Tensor> placed = check_and_place(
      stored, duplicates, config, options, "checkpoint '" + checkpoint.path() + "'", layout);
  return WanDiTWeights(config, options.placement, layout, std::move(placed));
}

WanDiTWeights WanDiTWeights::from_tensors(const std::map<std::string, at::Tensor>& tensors,
                                          const WanDiTConfig& config,
                                          const WeightLoadOptions& options) {
  std::map<std::string, StoredTensor> stored;
  for (const auto& [name, tensor] : tensors) {
    MF_CHECK(tensor.defined(), ModelError, "tensor '" << name << "' is undefined");
    const at::Tensor value = tensor;
    stored.emplace(name, StoredTensor{name, tensor.sizes().vec(), tensor.scalar_type(),
                                      [value] { return value; }});
  }
  std::map<std::string, at::Tensor> placed =
      check_and_place(stored, {}, config, options, "the given tensors", CheckpointLayout::kNative);
  return WanDiTWeights(config, options.placement, CheckpointLayout::kNative, std::move(placed));
}

WanDiTWeights WanDiTWeights::random(const WanDiTConfig& config, uint64_t seed,
                                    const WeightPlacement& placement) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto normal = [&generator](const std::vector<int64_t>& shape, double std) {
    return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat)) * std;
  };
  std::map<std::string, at::Tensor> tensors;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) {
    const std::string& name = spec.name;
    const auto ends_with = [&name](const std::string& suffix) {
      return name.size() >= suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    const bool is_norm = name.find("norm") != std::string::npos;
    at::Tensor value;
    if (ends_with("modulation")) {
      value = normal(spec.shape, 1.0 / std::sqrt(static_cast<double>(config.dim)));
    } else if (is_norm && ends_with(".weight")) {
      value = 1.0 + normal(spec.shape, 0.1);
    } else if (ends_with(".bias") || ends_with("emb_pos")) {
      value = normal(spec.shape, 0.02);
    } else {
      // Linear / conv weight [out, in, ...]: unit-variance outputs for unit-variance inputs.
      const int64_t fan_in = spec.numel() / spec.shape[0];
      value = normal(spec.shape, 1.0 / std::sqrt(static_cast<double>(fan_in)));
    }
    tensors[name] = value;
  }
  return from_tensors(tensors, config, WeightLoadOptions{true, placement});
}

const at::Tensor& WanDiTWeights::tensor(const std::string& native_name) const {
  const auto found = tensors_.find(native_name);
  MF_CHECK(found != tensors_.end(), ModelError,
           "the " << describe(config_) << " has no tensor '" << native_name << "'");
  return found->second;
}

const BlockWeights& WanDiTWeights::block(int64_t index) const {
  MF_CHECK(index >= 0 && index < block_count(), ModelError,
           "block " << index << " is outside [0, " << block_count() << ")");
  return blocks_[static_cast<std::size_t>(index)];
}

const ImageEmbeddingWeights& WanDiTWeights::image_embedding() const {
  MF_CHECK(config_.has_image_branch(), ModelError,
           "the " << describe(config_) << " has no image embedding");
  return image_;
}

WanDiTWeights WanDiTWeights::placed(const WeightPlacement& placement) const {
  return from_tensors(tensors_, config_, WeightLoadOptions{true, placement});
}

void WanDiTWeights::build_views() {
  const auto get = [this](const std::string& name) { return tensor(name); };
  const auto optional = [this](const std::string& name) {
    const auto found = tensors_.find(name);
    return found == tensors_.end() ? at::Tensor() : found->second;
  };
  const auto linear_of = [&get](const std::string& prefix) {
    return LinearWeights{get(prefix + ".weight"), get(prefix + ".bias")};
  };
  const auto attention_of = [&](const std::string& prefix, bool image_keys) {
    AttentionWeights weights;
    weights.q = linear_of(prefix + ".q");
    weights.k = linear_of(prefix + ".k");
    weights.v = linear_of(prefix + ".v");
    weights.o = linear_of(prefix + ".o");
    weights.norm_q = optional(prefix + ".norm_q.weight");
    weights.norm_k = optional(prefix + ".norm_k.weight");
    if (image_keys) {
      weights.k_img = linear_of(prefix + ".k_img");
      weights.v_img = linear_of(prefix + ".v_img");
      weights.norm_k_img = optional(prefix + ".norm_k_img.weight");
    }
    return weights;
  };

  embeddings_.patch_weight = get("patch_embedding.weight");
  embeddings_.patch_bias = get("patch_embedding.bias");
  embeddings_.text_fc1 = linear_of("text_embedding.0");
  embeddings_.text_fc2 = linear_of("text_embedding.2");
  embeddings_.time = TimeEmbeddingWeights{
      linear_of("time_embedding.0"), linear_of("time_embedding.2"), linear_of("time_projection.1")};
  blocks_.clear();
  for (int64_t layer = 0; layer < config_.num_layers; ++layer) {
    const std::string prefix = "blocks." + std::to_string(layer);
    BlockWeights block;
    block.modulation = get(prefix + ".modulation");
    block.self_attn = attention_of(prefix + ".self_attn", false);
    block.norm3_weight = optional(prefix + ".norm3.weight");
    block.norm3_bias = optional(prefix + ".norm3.bias");
    block.cross_attn = attention_of(prefix + ".cross_attn", config_.has_image_branch());
    block.ffn_in = linear_of(prefix + ".ffn.0");
    block.ffn_out = linear_of(prefix + ".ffn.2");
    blocks_.push_back(std::move(block));
  }
  head_ = HeadWeights{get("head.modulation"), linear_of("head.head")};
  if (config_.has_image_branch()) {
    image_.norm_in_weight = get("img_emb.proj.0.weight");
    image_.norm_in_bias = get("img_emb.proj.0.bias");
    image_.fc1 = linear_of("img_emb.proj.1");
    image_.fc2 = linear_of("img_emb.proj.3");
    image_.norm_out_weight = get("img_emb.proj.4.weight");
    image_.norm_out_bias = get("img_emb.proj.4.bias");
    image_.position = optional("img_emb.emb_pos");
  }
}

}  // namespace motionfarm::model
