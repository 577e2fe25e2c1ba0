// The tensors of one Wan DiT, by native name, placed on a device, with typed views per module.
//
// Loading maps the checkpoint's names (native, ComfyUI or Diffusers; see checkpoint_names.h) onto
// the config's parameter specs and checks every tensor before anything is converted: a strict load
// reports EVERY missing, unexpected and mis-shaped tensor in one ModelError. Tensors keep their
// stored dtype until placed: placement moves them to the device first and converts there, so a
// bf16 checkpoint goes to the GPU as bf16 and a CPU fp32 load of an fp32 file stays zero-copy over
// the file mapping. Modulation tables, norms, the time embedding and the head stay float32 (see
// ParameterSpec::keep_fp32); the rest takes the placement's compute dtype.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/checkpoint_names.h"
#include "model/dit_layers.h"
#include "model/time_embedding.h"
#include "model/wan_dit_config.h"

namespace motionfarm::io {
class SafetensorsCheckpoint;
}

namespace motionfarm::model {

// Where the weights live and the dtype the matmuls run in.
struct WeightPlacement {
  at::Device device{at::kCPU};
  at::ScalarType compute_dtype = at::kFloat;

  static WeightPlacement cpu() { return {}; }  // float32 on the CPU
  static WeightPlacement cuda(int index = 0) {
    return {at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index)), at::kBFloat16};
  }
};

struct WeightLoadOptions {
  // Strict: a stored tensor the model does not use is an error too. Missing and mis-shaped
  // tensors are errors either way.
  bool strict = true;
  WeightPlacement placement;
};

// One attention layer (self- or cross-). Norms are undefined when the config has no qk_norm; the
// image projections only exist in i2v/flf2v cross-attention.
struct AttentionWeights {
  LinearWeights q, k, v, o;
  at::Tensor norm_q, norm_k;  // RMSNorm weights [dim]
  LinearWeights k_img, v_img;
  at::Tensor norm_k_img;
};

struct BlockWeights {
  at::Tensor modulation;  // [1, 6, dim] float32
  AttentionWeights self_attn;
  at::Tensor norm3_weight, norm3_bias;  // affine LayerNorm before cross-attention (or undefined)
  AttentionWeights cross_attn;
  LinearWeights ffn_in, ffn_out;  // ffn.0 (dim -> ffn_dim), ffn.2 (ffn_dim -> dim)
};

struct EmbeddingWeights {
  at::Tensor patch_weight, patch_bias;  // Conv3d [dim, in_dim, pt, ph, pw], [dim]
  LinearWeights text_fc1, text_fc2;     // text_embedding.0 / .2
  TimeEmbeddingWeights time;
};

struct HeadWeights {
  at::Tensor modulation;  // [1, 2, dim] float32
  LinearWeights out;      // head.head: dim -> prod(patch) * out_dim
};

// MLPProj over CLIP features (i2v/flf2v only).
struct ImageEmbeddingWeights {
  at::Tensor norm_in_weight, norm_in_bias;  // LayerNorm(1280)
  LinearWeights fc1, fc2;                   // 1280 -> 1280, GELU, 1280 -> dim
  at::Tensor norm_out_weight, norm_out_bias;
  at::Tensor position;  // flf2v: [1, 514, 1280], else undefined
};

class WanDiTWeights {
 public:
  // Reads the config's tensors from `checkpoint`, whose name layout is detected. Throws ModelError
  // listing every problem (see the file comment), naming the checkpoint and the layout.
  static WanDiTWeights load(const io::SafetensorsCheckpoint& checkpoint, const WanDiTConfig& config,
                            const WeightLoadOptions& options = {});
  // From tensors under native names (converters, tests); same checks as load().
  static WanDiTWeights from_tensors(const std::map<std::string, at::Tensor>& tensors,
                                    const WanDiTConfig& config,
                                    const WeightLoadOptions& options = {});
  // Random weights with the reference's initial scales (tests, benchmarks). Deterministic in seed.
  static WanDiTWeights random(const WanDiTConfig& config, uint64_t seed,
                              const WeightPlacement& placement = {});

  const WanDiTConfig& config() const { return config_; }
  const WeightPlacement& placement() const { return placement_; }
  CheckpointLayout source_layout() const { return layout_; }
  // Every tensor by native name, as placed.
  const std::map<std::string, at::Tensor>& tensors() const { return tensors_; }
  // Throws ModelError when absent.
  const at::Tensor& tensor(const std::string& native_name) const;

  const EmbeddingWeights& embeddings() const { return embeddings_; }
  const BlockWeights& block(int64_t index) const;
  int64_t block_count() const { return static_cast<int64_t>(blocks_.size()); }
  const HeadWeights& head() const { return head_; }
  // Throws ModelError when the config has no image branch.
  const ImageEmbeddingWeights& image_embedding() const;

  // A copy on another device / compute dtype (converted from this one's placed tensors).
  WanDiTWeights placed(const WeightPlacement& placement) const;

 private:
  WanDiTWeights(WanDiTConfig config, WeightPlacement placement, CheckpointLayout layout,
                std::map<std::string, at::Tensor> tensors);
  void build_views();

  WanDiTConfig config_;
  WeightPlacement placement_;
  CheckpointLayout layout_ = CheckpointLayout::kNative;
  std::map<std::string, at::Tensor> tensors_;
  EmbeddingWeights embeddings_;
  std::vector<BlockWeights> blocks_;
  HeadWeights head_;
  ImageEmbeddingWeights image_;
};

}  // namespace motionfarm::model
