// How long a task takes on one model group: the capacity planner's cost model (docs/planning.md).
//
// Time = FLOPs ÷ (GPUs × sustained FLOP/s) + communication bytes ÷ bandwidth, with no overlap of
// the two assumed (a pessimistic but honest bound for a planner). The FLOP counts come from the
// DiT config (parameter count, layers, width) and each segment's token count; the sustained FLOP/s
// and the bandwidths from the GPU table (configs/gpus.yaml). No LibTorch, no MPI, no files besides
// the preset: runs on a login node.
#pragma once

#include <cstdint>

#include "coordinator/manifest.h"
#include "coordinator/plan_gpu_table.h"
#include "parallel/parallel_layout.h"

namespace motionfarm::coordinator {

// What the FLOP and byte counts need of a DiT.
struct DitCostFacts {
  int64_t parameters = 0;
  int64_t num_layers = 0;
  int64_t dim = 0;
  int64_t num_heads = 0;
  int64_t ffn_dim = 0;
  int64_t context_tokens = 512;  // text tokens, plus CLIP image tokens for i2v/flf2v
  int64_t spatial_stride = 16;   // pixels per token side
  int64_t temporal_stride = 4;   // frames per latent frame after the first

  parallel::LayoutModelDims dims() const { return {num_heads, dim, ffn_dim}; }
};

// Reads configs/models/<preset>.yaml (model::load_dit_preset) and counts its parameters.
DitCostFacts dit_cost_facts(const ModelFacts& facts);

// Tokens one DiT forward sees for a segment: latent frames × latent rows × latent columns.
int64_t segment_tokens(const DitCostFacts& model, int64_t width, int64_t height, int64_t frames);

// FLOPs of one DiT forward over `tokens` tokens (one branch of CFG).
double dit_forward_flops(const DitCostFacts& model, int64_t tokens);

// Bytes each GPU of the group sends in one forward of `tokens` tokens under `layout`.
struct ForwardTraffic {
  double intra_node_bytes = 0.0;  // over NVLink
  double inter_node_bytes = 0.0;  // over InfiniBand
};
ForwardTraffic forward_traffic(const DitCostFacts& model, int64_t tokens,
                               const parallel::ParallelLayout& layout, int gpus_per_node);

struct ClusterShape {
  GpuSpec gpu;
  double infiniband_gb_s = 50.0;
  int gpus_per_node = 8;
};

// Bytes per second at which a group's ranks read a DiT's weights from storage onto their GPUs.
// Each rank reads the whole file (safetensors from a parallel filesystem or the page cache) and
// copies it over PCIe; 2 GB/s per rank is what a parallel filesystem gives a node's concurrent
// readers, so one Wan2.2 A14B expert (14.3e9 parameters, 28.6 GB in bf16) takes about 14 s. A
// local NVMe copy is faster; `plan` states the figure it used.
inline constexpr double kWeightLoadGBps = 2.0;

class TaskCostModel {
 public:
  TaskCostModel(DitCostFacts model, ClusterShape cluster);

  const DitCostFacts& model() const { return model_; }
  const ClusterShape& cluster() const { return cluster_; }

  // Seconds a group with `layout` takes for segment `segment_index` of `asset`: every sampling
  // step (two forwards with CFG) plus the encoders that segment runs.
  double segment_seconds(const AssetSpec& asset, int64_t segment_index,
                         const parallel::ParallelLayout& layout) const;
  // One expert phase of that segment (a preset with experts): `steps` of its sampling steps, plus
  // the encoders, which every phase runs again (a phase task prepares its own conditioning).
  double phase_seconds(const AssetSpec& asset, int64_t segment_index,
                       const parallel::ParallelLayout& layout, int64_t steps) const;
  // Seconds a group takes to load one expert DiT (its bf16 weights at kWeightLoadGBps): what a
  // swap costs, paid before the first task of the other expert.
  double expert_load_seconds() const;
  // Seconds of the assembly task: VAE-decode every segment and encode each format, on one GPU
  // of the group while the others wait (the decoder is not split across the group).
  double assembly_seconds(const AssetSpec& asset) const;
  // Whether the layout's weight shard fits one GPU, leaving room for activations.
  bool fits_memory(const parallel::ParallelLayout& layout) const;

 private:
  double forward_seconds(int64_t tokens, const parallel::ParallelLayout& layout) const;
  double step_seconds(const AssetSpec& asset, int64_t segment_index,
                      const parallel::ParallelLayout& layout) const;
  double encoder_seconds(const AssetSpec& asset, int64_t segment_index) const;

  DitCostFacts model_;
  ClusterShape cluster_;
};

}  // namespace motionfarm::coordinator
