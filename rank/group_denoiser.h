// The DenoiserBackend of a model group: the DiT split over the group's tensor / Ulysses / ring
// ranks (parallel::ParallelWanDiT) and classifier-free guidance split over its cfg halves
// (parallel::cfg_parallel_velocity), so the farm runs the single-process pipeline unchanged on a
// group of any layout. A group of one rank computes exactly what LocalDenoiser computes.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "parallel/mpi_communicator.h"
#include "parallel/parallel_wan_dit.h"
#include "parallel/topology.h"
#include "rank/denoiser.h"

namespace motionfarm::rank {

class GroupDenoiser final : public DenoiserBackend {
 public:
  // Collective over the group: every rank of it builds one (the communicators are duplicated).
  // Borrows `dit`, which must outlive this object.
  GroupDenoiser(const model::WanDiT& dit, const parallel::Topology& topology);

  const model::WanDiTConfig& config() const override { return dit_->config(); }
  // Collective over the group's tp × ulysses × ring ranks.
  at::Tensor forward(const model::DiTInputs& inputs) const override;
  // Collective over the cfg halves at every call when cfg = 2.
  model::VelocityFn guide(model::VelocityFn cond, model::VelocityFn uncond,
                          double scale) const override;
  int64_t sequence_multiple() const override { return sequence_parallel_; }

 private:
  std::unique_ptr<parallel::MpiCommunicator> tp_, ulysses_, ring_, sequence_, cfg_;
  std::unique_ptr<parallel::ParallelWanDiT> dit_;
  int64_t sequence_parallel_ = 1;
};

}  // namespace motionfarm::rank
