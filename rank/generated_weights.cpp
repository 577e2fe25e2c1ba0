#include "rank/generated_weights.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <utility>

#include "core/check.h"

#include "io/safetensors_writer.h"
#include "model/release_dit_config.h"
#include "model/seeded_noise.h"
#include "model/wan_vae.h"

namespace motionfarm::rank {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void add(std::vector<model::ParameterSpec>& specs, std::string name, std::vector<int64_t> shape) {
  specs.push_back(model::ParameterSpec{std::move(name), std::move(shape), false});
}

void write_part(const std::string& part, const std::vector<model::ParameterSpec>& specs,
                const std::string& path, const GeneratedWeightsOptions& options) {
  io::SafetensorsWriter writer;
  for (const model::ParameterSpec& spec : specs) {
    writer.add(spec.name, generated_tensor(part, spec, options.seed));
  }
  for (const auto& [key, value] : options.metadata) writer.set_metadata(key, value);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  writer.write(path);
}

// Shards io::write_sharded_safetensors makes of tensors of `bytes` under `limit` (its greedy
// fill, in order).
int64_t greedy_shards(const std::vector<uint64_t>& bytes, uint64_t limit) {
  int64_t shards = 0;
  uint64_t filled = 0;
  for (const uint64_t size : bytes) {
    if (shards == 0 || (filled > 0 && filled + size > limit)) {
      ++shards;
      filled = 0;
    }
    filled += size;
  }
  return shards;
}

// The smallest shard limit under which the greedy fill makes at most `shards` shards: about
// equal shards, and exactly `shards` of them unless single tensors are too large.
uint64_t shard_limit(const std::vector<uint64_t>& bytes, int64_t shards) {
  uint64_t low = 1;
  uint64_t high = 0;
  for (const uint64_t size : bytes) high += size;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    if (greedy_shards(bytes, middle) <= shards) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return high;
}

// The DiT `part` at `path`: one file, or (for an .index.json path) the release's shards, index
// and config.json.
void write_dit(const std::string& part, const model::WanDiTConfig& config, const std::string& path,
               const GeneratedWeightsOptions& options) {
  const std::vector<model::ParameterSpec> specs = model::wan_dit_parameter_specs(config);
  const std::string index_suffix = ".safetensors.index.json";
  if (!ends_with(path, index_suffix)) {
    write_part(part, specs, path, options);
    return;
  }
  MF_CHECK_GT(options.dit_shards, 0, Error, "dit_shards must be positive");
  const std::filesystem::path index(path);
  const std::string file_name = index.filename().string();
  const std::string stem = file_name.substr(0, file_name.size() - index_suffix.size());
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  std::vector<uint64_t> bytes;
  for (const model::ParameterSpec& spec : specs) {
    tensors.emplace_back(spec.name, generated_tensor(part, spec, options.seed));
    bytes.push_back(static_cast<uint64_t>(spec.numel()) * sizeof(float));
  }
  io::write_sharded_safetensors(index.parent_path().string(), stem, tensors,
                                shard_limit(bytes, options.dit_shards), options.metadata);
  std::ofstream json((index.parent_path() / "config.json").string());
  json << model::release_dit_config_json(config);
  MF_CHECK(json.good(), Error, "cannot write " << (index.parent_path() / "config.json").string());
}

}  // namespace

std::vector<model::ParameterSpec> umt5_parameter_specs(const model::Umt5Config& c) {
  std::vector<model::ParameterSpec> specs;
  add(specs, "token_embedding.weight", {c.vocab, c.dim});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    add(specs, p + "norm1.weight", {c.dim});
    add(specs, p + "attn.q.weight", {c.dim_attn, c.dim});
    add(specs, p + "attn.k.weight", {c.dim_attn, c.dim});
    add(specs, p + "attn.v.weight", {c.dim_attn, c.dim});
    add(specs, p + "attn.o.weight", {c.dim, c.dim_attn});
    add(specs, p + "norm2.weight", {c.dim});
    add(specs, p + "ffn.gate.0.weight", {c.dim_ffn, c.dim});
    add(specs, p + "ffn.fc1.weight", {c.dim_ffn, c.dim});
    add(specs, p + "ffn.fc2.weight", {c.dim, c.dim_ffn});
    add(specs, p + "pos_embedding.embedding.weight", {c.num_buckets, c.num_heads});
  }
  add(specs, "norm.weight", {c.dim});
  return specs;
}

std::vector<model::ParameterSpec> clip_vision_parameter_specs(const model::ClipVisionConfig& c) {
  std::vector<model::ParameterSpec> specs;
  if (c.has_class_token()) add(specs, "cls_embedding", {1, 1, c.dim});
  add(specs, "pos_embedding", {1, c.tokens(), c.dim});
  add(specs, "patch_embedding.weight", {c.dim, 3, c.patch_size, c.patch_size});
  if (!c.pre_norm) add(specs, "patch_embedding.bias", {c.dim});
  const auto norm = [&](const std::string& name) {
    add(specs, name + ".weight", {c.dim});
    add(specs, name + ".bias", {c.dim});
  };
  if (c.pre_norm) norm("pre_norm");
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "transformer." + std::to_string(i) + ".";
    norm(p + "norm1");
    add(specs, p + "attn.to_qkv.weight", {3 * c.dim, c.dim});
    add(specs, p + "attn.to_qkv.bias", {3 * c.dim});
    add(specs, p + "attn.proj.weight", {c.dim, c.dim});
    add(specs, p + "attn.proj.bias", {c.dim});
    norm(p + "norm2");
    add(specs, p + "mlp.0.weight", {c.mlp_dim(), c.dim});
    add(specs, p + "mlp.0.bias", {c.mlp_dim()});
    add(specs, p + "mlp.2.weight", {c.dim, c.mlp_dim()});
    add(specs, p + "mlp.2.bias", {c.dim});
  }
  if (c.post_norm) norm("post_norm");
  add(specs, "head", {c.dim, c.out_dim});
  return specs;
}

at::Tensor generated_tensor(const std::string& part, const model::ParameterSpec& spec,
                            uint64_t seed) {
  const std::vector<int64_t>& shape = spec.shape;
  const std::string& name = spec.name;
  // Norm gains: 1-D ".weight"s (LayerNorm / RMSNorm) and the VAE's RMS_norm "gamma".
  if (ends_with(name, ".gamma") || (shape.size() == 1 && ends_with(name, ".weight"))) {
    return at::ones(shape, at::kFloat);
  }
  const at::Tensor normal =
      model::seeded_normal(model::NoiseKey{seed, part + "/" + name, 0}, shape);
  if (shape.size() == 1) return normal * 0.02;  // biases
  if (ends_with(name, "modulation")) {
    return normal / std::sqrt(static_cast<double>(shape.back()));  // [1, k, dim], as the reference
  }
  int64_t numel = 1;
  for (const int64_t size : shape) numel *= size;
  // Lookup and position tables are read a row at a time: their width is the fan-in. So is the
  // CLIP head's first dimension (features @ head).
  const bool table = name == "token_embedding.weight" || name == "cls_embedding" ||
                     name == "pos_embedding" || name == "img_emb.emb_pos" ||
                     ends_with(name, "pos_embedding.embedding.weight");
  const int64_t fan_in = table            ? shape.back()
                         : name == "head" ? shape.front()
                                          : numel / shape.front();
  return normal / std::sqrt(static_cast<double>(fan_in));
}

void write_generated_weights(const ModelPreset& preset, const ModelFiles& files,
                             const GeneratedWeightsOptions& options) {
  for (int64_t i = 0; i < preset.dit_count(); ++i) {
    const std::string part = preset.has_experts() ? "dit/" + preset.dit_name(i) : "dit";
    write_dit(part, preset.dit, files.dit_file(preset, i), options);
  }
  write_part("vae", model::wan_vae_parameter_specs(preset.vae), files.vae, options);
  write_part("text_encoder", umt5_parameter_specs(preset.text_encoder), files.text_encoder,
             options);
  if (preset.image_encoder) {
    write_part("image_encoder", clip_vision_parameter_specs(*preset.image_encoder),
               files.image_encoder, options);
  }
}

ModelFiles write_generated_release(const ModelPreset& preset, const std::string& folder,
                                   const GeneratedWeightsOptions& options) {
  ModelFiles files = ModelFiles::in_folder(folder, preset);
  const std::string index = "diffusion_pytorch_model.safetensors.index.json";
  if (preset.has_experts()) {
    for (size_t i = 0; i < preset.experts.size(); ++i) {
      files.expert_dits[i] =
          (std::filesystem::path(folder) / preset.experts[i].folder / index).string();
    }
  } else {
    files.dit = (std::filesystem::path(folder) / index).string();
  }
  write_generated_weights(preset, files, options);
  return files;
}

}  // namespace motionfarm::rank
