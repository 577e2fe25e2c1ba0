#include "model/parameter_specs.h"

#include <utility>

namespace motionfarm::model {
namespace {

class SpecList {
 public:
  void add(std::string name, std::vector<int64_t> shape, bool keep_fp32 = false) {
    specs_.push_back(ParameterSpec{std::move(name), std::move(shape), keep_fp32});
  }
  // nn.Linear(in, out): weight [out, in], bias [out].
  void linear(const std::string& prefix, int64_t in, int64_t out, bool keep_fp32 = false) {
    add(prefix + ".weight", {out, in}, keep_fp32);
    add(prefix + ".bias", {out}, keep_fp32);
  }
  void layer_norm_affine(const std::string& prefix, int64_t width) {
    add(prefix + ".weight", {width}, true);
    add(prefix + ".bias", {width}, true);
  }
  void rms_norm(const std::string& prefix, int64_t width) {
    add(prefix + ".weight", {width}, true);
  }
  std::vector<ParameterSpec> take() { return std::move(specs_); }

 private:
  std::vector<ParameterSpec> specs_;
};

void add_attention(SpecList& specs, const std::string& prefix, const WanDiTConfig& config,
                   bool image_keys) {
  const int64_t dim = config.dim;
  for (const char* projection : {"q", "k", "v", "o"}) {
    specs.linear(prefix + "." + projection, dim, dim);
  }
  if (config.qk_norm) {
    specs.rms_norm(prefix + ".norm_q", dim);
    specs.rms_norm(prefix + ".norm_k", dim);
  }
  if (image_keys) {
    specs.linear(prefix + ".k_img", dim, dim);
    specs.linear(prefix + ".v_img", dim, dim);
    if (config.qk_norm) specs.rms_norm(prefix + ".norm_k_img", dim);
  }
}

}  // namespace

int64_t ParameterSpec::numel() const {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;
  return count;
}

std::vector<ParameterSpec> wan_dit_parameter_specs(const WanDiTConfig& config) {
  config.validate();
  const int64_t dim = config.dim;
  const auto& p = config.patch_size;
  SpecList specs;

  specs.add("patch_embedding.weight", {dim, config.in_dim, p[0], p[1], p[2]});
  specs.add("patch_embedding.bias", {dim});
  specs.linear("text_embedding.0", config.text_dim, dim);
  specs.linear("text_embedding.2", dim, dim);
  specs.linear("time_embedding.0", config.freq_dim, dim, true);
  specs.linear("time_embedding.2", dim, dim, true);
  specs.linear("time_projection.1", dim, 6 * dim, true);

  for (int64_t layer = 0; layer < config.num_layers; ++layer) {
    const std::string block = "blocks." + std::to_string(layer);
    specs.add(block + ".modulation", {1, 6, dim}, true);
    // norm1 and norm2 are LayerNorms without affine parameters: nothing stored.
    add_attention(specs, block + ".self_attn", config, false);
    if (config.cross_attn_norm) specs.layer_norm_affine(block + ".norm3", dim);
    add_attention(specs, block + ".cross_attn", config, config.has_image_branch());
    specs.linear(block + ".ffn.0", dim, config.ffn_dim);
    specs.linear(block + ".ffn.2", config.ffn_dim, dim);
  }

  // The head's LayerNorm has no affine parameters either.
  specs.add("head.modulation", {1, 2, dim}, true);
  specs.linear("head.head", dim, config.patch_volume() * config.out_dim, true);

  if (config.has_image_branch()) {
    // MLPProj: LayerNorm(1280), Linear(1280, 1280), GELU, Linear(1280, dim), LayerNorm(dim).
    specs.layer_norm_affine("img_emb.proj.0", kClipFeatureDim);
    specs.linear("img_emb.proj.1", kClipFeatureDim, kClipFeatureDim);
    specs.linear("img_emb.proj.3", kClipFeatureDim, dim);
    specs.layer_norm_affine("img_emb.proj.4", dim);
    if (config.has_image_position_table()) {
      specs.add("img_emb.emb_pos", {1, kFlf2vImageTokens, kClipFeatureDim}, true);
    }
  }
  return specs.take();
}

int64_t wan_dit_parameter_count(const WanDiTConfig& config) {
  int64_t total = 0;
  for (const ParameterSpec& spec : wan_dit_parameter_specs(config)) total += spec.numel();
  return total;
}

}  // namespace motionfarm::model
