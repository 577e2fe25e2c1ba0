#include "coordinator/plan_cost_model.h"

#include <algorithm>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "model/parameter_specs.h"
#include "model/wan_dit_config.h"

namespace motionfarm::coordinator {

namespace {

constexpr double kBytesPerValue = 2.0;  // bf16 activations on the wire

// Encoder and decoder costs, as FLOPs. Estimates, stated here so a reader can check them against a
// measurement (and `bench calibrate` can replace the efficiencies that scale them):
// - umT5-XXL text encoder: ~5.7e9 parameters over 512 tokens, 2 FLOPs per weight per token; run
//   for the prompt and, with CFG, the negative prompt. Once per asset (segment 0).
// - CLIP ViT-H/14 image encoder: ~0.63e9 parameters over 257 tokens, once per asset (i2v/flf2v).
// - Wan VAE: 3D causal convolutions, ~5e6 FLOPs per pixel to encode and ~1e7 to decode (the
//   decoder is about twice the encoder). i2v encodes the segment's conditioning video each segment.
// VAE convolutions sustain about half the matmul efficiency of the DiT.
constexpr double kTextEncoderParameters = 5.7e9;
constexpr double kTextTokens = 512.0;
constexpr double kImageEncoderParameters = 0.63e9;
constexpr double kImageTokens = 257.0;
constexpr double kVaeEncodeFlopsPerPixel = 5e6;
constexpr double kVaeDecodeFlopsPerPixel = 1e7;
constexpr double kVaeEfficiencyFactor = 0.5;
// Writing one frame of one format (FFmpeg on the CPU), seconds.
constexpr double kMuxSecondsPerFramePerFormat = 0.01;
// The weight shard may use this much of a GPU's memory; the rest holds activations.
constexpr double kWeightMemoryFraction = 0.6;

bool uses_cfg(const AssetSpec& asset) { return asset.sampler.guidance != 1.0; }

}  // namespace

DitCostFacts dit_cost_facts(const ModelFacts& facts) {
  const model::WanDiTConfig config = model::load_dit_preset(facts.name);
  DitCostFacts cost;
  cost.parameters = model::wan_dit_parameter_count(config);
  cost.num_layers = config.num_layers;
  cost.dim = config.dim;
  cost.num_heads = config.num_heads;
  cost.ffn_dim = config.ffn_dim;
  cost.context_tokens = config.text_len;
  if (config.has_image_branch()) {
    cost.context_tokens +=
        config.has_image_position_table() ? model::kFlf2vImageTokens : model::kClipTokensPerImage;
  }
  cost.spatial_stride = facts.spatial_stride;
  cost.temporal_stride = facts.temporal_stride;
  return cost;
}

int64_t segment_tokens(const DitCostFacts& model, int64_t width, int64_t height, int64_t frames) {
  MF_CHECK_GT(frames, 0, Error, "a segment has frames");
  const int64_t latent_frames = (frames - 1) / model.temporal_stride + 1;
  return latent_frames * (height / model.spatial_stride) * (width / model.spatial_stride);
}

double dit_forward_flops(const DitCostFacts& model, int64_t tokens) {
  // One forward over N tokens, L layers of width d, P parameters (2 FLOPs per multiply-add):
  //   linear layers:    2 · P · N           (every weight meets every token once)
  //   self-attention:   4 · N² · d · L      (Q·Kᵀ and softmax·V, each N² · d multiply-adds)
  //   cross-attention:  4 · N · C · d · L   (C context tokens: text, plus CLIP for i2v)
  // Norms, RoPE and softmax are O(N · d) and left out.
  const double n = static_cast<double>(tokens);
  const double d = static_cast<double>(model.dim);
  const double layers = static_cast<double>(model.num_layers);
  const double linear = 2.0 * static_cast<double>(model.parameters) * n;
  const double self_attention = 4.0 * n * n * d * layers;
  const double cross_attention = 4.0 * n * static_cast<double>(model.context_tokens) * d * layers;
  return linear + self_attention + cross_attention;
}

ForwardTraffic forward_traffic(const DitCostFacts& model, int64_t tokens,
                               const parallel::ParallelLayout& layout, int gpus_per_node) {
  // Per layer, per GPU, in values (docs/parallelism.md for the layouts). Ranks are ordered tp
  // fastest, then ulysses, then ring, so a degree crosses nodes once it and the faster ones
  // outgrow a node.
  //   Ulysses (P ranks, N/R tokens, d/T width): 4 all-to-alls (q, k, v, out), each sending
  //     (N/R/P) · (d/T) · (P−1) values: 4 · (N/R/P) · (d/T) · (P−1).
  //   Ring (R ranks): K and V passed R−1 times, 2 · (N/R) · (d/T/P) · (R−1).
  //   TP (T ranks): 3 all-reduces (self-attn, cross-attn, FFN outputs) of (N/(P·R)) · d values,
  //     a ring all-reduce sending 2 · (T−1)/T of them.
  // CFG sends only the final noise prediction once per step, left out.
  const double n = static_cast<double>(tokens);
  const double d = static_cast<double>(model.dim);
  const double t = layout.tp, p = layout.ulysses, r = layout.ring;
  const double ulysses = 4.0 * (n / r / p) * (d / t) * (p - 1.0);
  const double ring = 2.0 * (n / r) * (d / t / p) * (r - 1.0);
  const double tp = 3.0 * 2.0 * (t - 1.0) / t * (n / (p * r)) * d;
  const double per_forward = kBytesPerValue * static_cast<double>(model.num_layers);
  ForwardTraffic traffic;
  auto add = [&](double values, int span) {
    (span > gpus_per_node ? traffic.inter_node_bytes : traffic.intra_node_bytes) +=
        values * per_forward;
  };
  add(tp, layout.tp);
  add(ulysses, layout.tp * layout.ulysses);
  add(ring, layout.tp * layout.ulysses * layout.ring);
  return traffic;
}

TaskCostModel::TaskCostModel(DitCostFacts model, ClusterShape cluster)
    : model_(std::move(model)), cluster_(std::move(cluster)) {
  MF_CHECK_GT(model_.parameters, 0, ConfigError, "the cost model needs the DiT's parameters");
  MF_CHECK_GT(cluster_.gpu.sustained_flops(), 0.0, ConfigError, "GPU throughput must be positive");
  MF_CHECK_GT(cluster_.gpus_per_node, 0, ConfigError, "gpus per node must be positive");
}

double TaskCostModel::forward_seconds(int64_t tokens,
                                      const parallel::ParallelLayout& layout) const {
  // One branch of CFG on the group's GPUs for that branch (group ÷ cfg), split evenly.
  const double gpus = static_cast<double>(layout.group_size()) / layout.cfg;
  const double compute =
      dit_forward_flops(model_, tokens) / (gpus * cluster_.gpu.sustained_flops());
  const ForwardTraffic traffic = forward_traffic(model_, tokens, layout, cluster_.gpus_per_node);
  const double comm = traffic.intra_node_bytes / (cluster_.gpu.nvlink_gb_s * 1e9) +
                      traffic.inter_node_bytes / (cluster_.infiniband_gb_s * 1e9);
  return compute + comm;
}

double TaskCostModel::step_seconds(const AssetSpec& asset, int64_t segment_index,
                                   const parallel::ParallelLayout& layout) const {
  MF_CHECK(segment_index >= 0 && segment_index < static_cast<int64_t>(asset.segments.size()), Error,
           "segment " << segment_index << " of " << asset.id << " does not exist");
  const SegmentPlan& segment = asset.segments[static_cast<size_t>(segment_index)];
  const int64_t tokens = segment_tokens(model_, asset.width, asset.height, segment.frames);
  // With CFG the two forwards of a step run side by side on cfg=2, one after the other on cfg=1;
  // without CFG, a cfg=2 group's second half waits.
  const int passes = uses_cfg(asset) ? 2 : 1;
  return forward_seconds(tokens, layout) * ((passes + layout.cfg - 1) / layout.cfg);
}

double TaskCostModel::encoder_seconds(const AssetSpec& asset, int64_t segment_index) const {
  const SegmentPlan& segment = asset.segments[static_cast<size_t>(segment_index)];
  const double one_gpu_vae = cluster_.gpu.sustained_flops() * kVaeEfficiencyFactor;
  const double pixels = static_cast<double>(asset.width * asset.height * segment.frames);
  double encoders = pixels * kVaeEncodeFlopsPerPixel / one_gpu_vae;
  if (segment_index == 0) {
    const int passes = uses_cfg(asset) ? 2 : 1;
    double flops = 2.0 * kTextEncoderParameters * kTextTokens * passes;
    if (!asset.image.empty()) flops += 2.0 * kImageEncoderParameters * kImageTokens;
    encoders += flops / cluster_.gpu.sustained_flops();
  }
  return encoders;
}

double TaskCostModel::segment_seconds(const AssetSpec& asset, int64_t segment_index,
                                      const parallel::ParallelLayout& layout) const {
  return step_seconds(asset, segment_index, layout) * asset.sampler.steps +
         encoder_seconds(asset, segment_index);
}

double TaskCostModel::phase_seconds(const AssetSpec& asset, int64_t segment_index,
                                    const parallel::ParallelLayout& layout, int64_t steps) const {
  return step_seconds(asset, segment_index, layout) * static_cast<double>(steps) +
         encoder_seconds(asset, segment_index);
}

double TaskCostModel::expert_load_seconds() const {
  return static_cast<double>(model_.parameters) * kBytesPerValue / (kWeightLoadGBps * 1e9);
}

double TaskCostModel::assembly_seconds(const AssetSpec& asset) const {
  double pixels = 0.0;
  for (const SegmentPlan& segment : asset.segments) {
    pixels += static_cast<double>(asset.width * asset.height * segment.frames);
  }
  const double decode =
      pixels * kVaeDecodeFlopsPerPixel / (cluster_.gpu.sustained_flops() * kVaeEfficiencyFactor);
  const double formats = static_cast<double>(std::max<size_t>(asset.formats.size(), 1));
  return decode + kMuxSecondsPerFramePerFormat * static_cast<double>(asset.total_frames) * formats;
}

bool TaskCostModel::fits_memory(const parallel::ParallelLayout& layout) const {
  const double shard_gib =
      static_cast<double>(model_.parameters) * kBytesPerValue / layout.tp / (1024.0 * 1024 * 1024);
  return shard_gib <= kWeightMemoryFraction * cluster_.gpu.memory_gib;
}

}  // namespace motionfarm::coordinator
