// The common interface of the flow-matching samplers (Euler, UniPC) and the loop that drives one.
//
// The model is a velocity field: given the latent at noise level sigma (timestep t = 1000 sigma,
// truncated) it predicts v = dx/dsigma (Wan's "flow prediction", v = noise - data). A sampler turns
// one velocity per step into the next latent, walking the schedule from sigma_max to 0.
//
// A sampler's whole memory between steps is its SamplerState, so a checkpoint that stores the state
// next to the latent lets a resumed run produce bitwise the same latents as an uninterrupted one.
// Samplers never modify tensors in place: the tensors a state shares with the sampler stay valid.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/flow_schedule.h"

namespace motionfarm::model {

// The model as the sampler sees it: velocity(latent, timestep) -> v, same shape as the latent.
using VelocityFn = std::function<at::Tensor(const at::Tensor& latent, double timestep)>;

// Everything a sampler remembers between steps, as plain values for a checkpoint (HDF5) to store.
struct SamplerState {
  std::string sampler;  // "euler" or "unipc"; restore() rejects another sampler's state
  int64_t num_steps = 0;
  double shift = 0.0;
  int64_t step_index = 0;  // the next step to take; num_steps when finished
  // Multistep history (UniPC: the data predictions x0 of the last min(step_index, 2) steps, oldest
  // first); empty for Euler.
  std::vector<at::Tensor> model_outputs;
  // UniPC: the latent the last step started from (undefined before the first step and for Euler).
  at::Tensor last_sample;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // "euler" or "unipc".
  virtual std::string name() const = 0;
  const FlowSchedule& schedule() const { return schedule_; }
  // The timestep to give the model at each step (num_steps of them).
  const std::vector<double>& timesteps() const { return schedule_.timesteps(); }
  int64_t num_steps() const { return schedule_.num_steps(); }
  // The next step to take (0 at the start, num_steps when done).
  virtual int64_t step_index() const = 0;

  // Takes step `step_index` (must be the next one: steps run in order, each once) from `sample` at
  // sigmas()[step_index], given the model's velocity there, and returns the latent at the next
  // sigma. The result has the sample's dtype; float32 or float64 samples.
  virtual at::Tensor step(int64_t step_index, const at::Tensor& model_output,
                          const at::Tensor& sample) = 0;

  virtual SamplerState state() const = 0;
  // Continues from a state taken by state() of a sampler with the same name, steps and shift;
  // throws CheckpointError when the state does not fit.
  virtual void restore(const SamplerState& state) = 0;

 protected:
  explicit Sampler(const FlowScheduleConfig& config) : schedule_(config) {}
  // Throws when `step_index` is not the next step or the tensors do not match.
  void check_step(int64_t step_index, int64_t expected_index, const at::Tensor& model_output,
                  const at::Tensor& sample) const;
  // Throws CheckpointError when `state` is another sampler's or another schedule's.
  void check_state_header(const SamplerState& state) const;

 private:
  FlowSchedule schedule_;
};

enum class SamplerKind { kEuler, kUniPC };

// "euler" or "unipc" (the reference's default); ConfigError otherwise.
SamplerKind parse_sampler_kind(std::string_view name);
std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const FlowScheduleConfig& config);

// Called after each step with the index of the step just taken and the new latent, e.g. to write a
// checkpoint of the latent and sampler.state().
using StepCallback = std::function<void(int64_t step_index, const at::Tensor& latent)>;

// Runs the sampler from its current step to the end: each step evaluates `velocity` at the latent
// and the step's timestep and steps. Starting from a restored state continues that run. Returns the
// final latent (sigma = 0).
at::Tensor run_sampler(Sampler& sampler, const VelocityFn& velocity, at::Tensor latent,
                       const StepCallback& after_step = {});

}  // namespace motionfarm::model
