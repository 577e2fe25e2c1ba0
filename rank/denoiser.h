// The DiT as the pipeline calls it: one forward over DiTInputs, and how the conditional and
// unconditional passes are combined into the guided velocity.
//
// The pipeline only talks to this interface, so the farm can swap the single-process DiT
// (LocalDenoiser) for the DiT split over a model group (parallel::ParallelWanDiT, with
// parallel::cfg_parallel_velocity for guidance) without touching the pipeline.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "model/sampler.h"
#include "model/wan_dit.h"

namespace motionfarm::rank {

class DenoiserBackend {
 public:
  virtual ~DenoiserBackend() = default;

  virtual const model::WanDiTConfig& config() const = 0;
  // The velocity [B, out_dim, F, H, W] float32 for `inputs`. A parallel backend's forward is a
  // collective over its group: every rank calls it with the same inputs, in the same order.
  virtual at::Tensor forward(const model::DiTInputs& inputs) const = 0;
  // The guided velocity from the two branches (v_u + scale (v_c - v_u); v_c alone at scale 1).
  // Default: model::guided_velocity, both branches here in turn.
  virtual model::VelocityFn guide(model::VelocityFn cond, model::VelocityFn uncond,
                                  double scale) const;
  // Per-token timestep tensors are padded to a multiple of this many tokens (the sequence-parallel
  // degree), as the reference pads seq_len.
  virtual int64_t sequence_multiple() const { return 1; }
};

// The whole DiT in this process. Borrows `dit`, which must outlive it.
class LocalDenoiser final : public DenoiserBackend {
 public:
  explicit LocalDenoiser(const model::WanDiT& dit) : dit_(dit) {}

  const model::WanDiTConfig& config() const override { return dit_.config(); }
  at::Tensor forward(const model::DiTInputs& inputs) const override;

 private:
  const model::WanDiT& dit_;
};

}  // namespace motionfarm::rank
