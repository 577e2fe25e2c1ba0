#include "rank/group_denoiser.h"

#include "parallel/cfg_parallel.h"

namespace motionfarm::rank {

GroupDenoiser::GroupDenoiser(const model::WanDiT& dit, const parallel::Topology& topology)
    : tp_(std::make_unique<parallel::MpiCommunicator>(topology.tp_comm())),
      ulysses_(std::make_unique<parallel::MpiCommunicator>(topology.ulysses_comm())),
      ring_(std::make_unique<parallel::MpiCommunicator>(topology.ring_comm())),
      sequence_(std::make_unique<parallel::MpiCommunicator>(topology.sequence_comm())),
      cfg_(std::make_unique<parallel::MpiCommunicator>(topology.cfg_comm())),
      sequence_parallel_(topology.layout().sequence_parallel()) {
  dit_ = std::make_unique<parallel::ParallelWanDiT>(
      dit, parallel::DiTGroupComms{tp_.get(), ulysses_.get(), ring_.get(), sequence_.get()});
}

at::Tensor GroupDenoiser::forward(const model::DiTInputs& inputs) const {
  return dit_->forward(inputs);
}

model::VelocityFn GroupDenoiser::guide(model::VelocityFn cond, model::VelocityFn uncond,
                                       double scale) const {
  return parallel::cfg_parallel_velocity(std::move(cond), std::move(uncond), scale,
                                         cfg_->size() > 1 ? cfg_.get() : nullptr);
}

}  // namespace motionfarm::rank
