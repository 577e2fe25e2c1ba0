// The single-process image-to-video pipeline: image + prompt -> clip.
//
//   text    the prompt and negative prompt through the umT5 prompt encoder (cached per prompt)
//   image   decode, fit to the render size, encode the conditioning (VAE, and CLIP for Wan2.1)
//   sample  seeded noise -> the DiT sampling loop (UniPC or Euler, classifier-free guidance)
//   decode  the streaming VAE decoder, one latent frame at a time ...
//   encode  ... straight into the VideoWriter, which renames the file into place when done
//
// The DiT is reached only through a DenoiserBackend, so the farm runs the same pipeline with the
// DiT split over a model group. A two-expert preset (Wan2.2 A14B) has one backend per expert: each
// step goes to the expert that takes its timestep, with that expert's guidance scale, and the
// sampling can stop at the expert switch and resume from there (sample_steps, render_phases). Every
// latent and decoded chunk is checked for NaN/Inf (NonFiniteError naming the step); nothing
// non-finite reaches a deliverable.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/image_fit.h"
#include "model/expert_schedule.h"
#include "rank/conditioned_velocity.h"
#include "rank/denoiser.h"
#include "rank/image_conditioning.h"
#include "rank/model_bundle.h"
#include "rank/render_request.h"
#include "rank/sampling_loop.h"

namespace motionfarm::rank {

// Wall-clock seconds per stage. decode and encode interleave (chunk by chunk) and are summed
// separately; load is the bundle's.
struct StageTimings {
  double load = 0.0;
  double text = 0.0;
  double image = 0.0;
  double sample = 0.0;
  double decode = 0.0;
  double encode = 0.0;
};

struct RenderResult {
  std::string output_path;
  int64_t frames = 0;  // pixel frames written
  io::FrameSize size;
  LatentShape latent;
  StageTimings seconds;
  int64_t peak_resident_bytes = 0;  // VmHWM after the render
  std::string untrained_label;      // non-empty when the weights were never trained (demo)
};

// Everything the sampling loop needs, after the text and image stages.
struct PreparedRender {
  io::FrameSize size;
  LatentShape latent;
  PromptContexts prompts;
  ImageConditioning conditioning;
  at::Tensor noise;  // [1, z, T, h, w] float32 on the bundle's device
};

// The guidance scale when neither the render nor the preset gives one (Wan2.1 i2v's default).
inline constexpr double kDefaultGuidance = 5.0;

// One guidance scale per DiT of `preset` (ModelPreset::dit_count): `request` when set (as the
// reference applies a single guide_scale to every expert), else each expert's from the preset,
// else the preset's sampling.guidance, else kDefaultGuidance.
std::vector<double> guidance_per_dit(const ModelPreset& preset, std::optional<double> request);

// One denoiser per DiT of the preset, in the preset's expert order (one entry for a preset
// without experts); borrowed. A null entry is an expert this caller does not hold: sampling may
// not reach its steps (run only the phases of the experts held, see render_phases).
using ExpertDenoisers = std::vector<const DenoiserBackend*>;

// The sampler, steps and shift of `request`; runs to the end.
SamplingOptions sampling_options(const RenderRequest& request);

// Which DiT takes which steps of `request`'s schedule: one phase per DiT (model::expert_phases).
// phases[0].end_step is where a two-expert render switches experts.
std::vector<model::ExpertPhase> render_phases(const ModelPreset& preset,
                                              const RenderRequest& request);

// One member of a batch (I2VPipeline::sample_batch): its prepared render and where it resumes.
struct BatchRender {
  const PreparedRender* prepared = nullptr;    // borrowed
  const SamplingCheckpoint* resume = nullptr;  // nullptr: from the start; else as the others'
  std::string label;                           // names the member in errors
};

class I2VPipeline {
 public:
  // Borrows both; they must outlive the pipeline. `denoiser` must run the preset's DiT config.
  // For a preset with one DiT; ConfigError for a preset with experts.
  I2VPipeline(ModelBundle& bundle, const DenoiserBackend& denoiser);
  // One denoiser per DiT of the bundle's preset (see ExpertDenoisers). ConfigError for another
  // count, ModelError for a denoiser of another architecture.
  I2VPipeline(ModelBundle& bundle, ExpertDenoisers denoisers);

  // The whole render into request.output_path. Throws ConfigError/InputError for a request that
  // does not fit the model (naming the option or file), NonFiniteError for NaN/Inf.
  RenderResult render(const RenderRequest& request, const StepObserver& observer = {});

  // The text and image stages (adds their times to `timings`).
  PreparedRender prepare(const RenderRequest& request, StageTimings& timings);
  // The sampling loop: the final latent [1, z, T, h, w] float32; from `resume` when given.
  at::Tensor sample(const PreparedRender& prepared, const RenderRequest& request,
                    const StepObserver& observer = {},
                    const SamplingCheckpoint* resume = nullptr) const;
  // The sampling loop from `resume` (or the start) up to, not including, step
  // `stop_before_step` (-1: to the end), e.g. one expert's phase (render_phases); returns the
  // checkpoint where it stopped, from which a later call resumes bitwise.
  SamplingCheckpoint sample_steps(const PreparedRender& prepared, const RenderRequest& request,
                                  int64_t stop_before_step, const StepObserver& observer = {},
                                  const SamplingCheckpoint* resume = nullptr) const;
  // sample_steps for a batch of renders of one latent shape and one sampler, steps, shift and
  // guidance (`request`'s): one forward over all of them per guidance branch and step. One
  // checkpoint per member, in order. Throws BatchMemberError for a member whose latents go
  // NaN/Inf, ConfigError for members of different shapes.
  std::vector<SamplingCheckpoint> sample_batch(const std::vector<BatchRender>& members,
                                               const RenderRequest& request,
                                               int64_t stop_before_step,
                                               const BatchStepObserver& observer = {}) const;

 private:
  ModelBundle& bundle_;
  ExpertDenoisers denoisers_;
};

// The velocity the sampling loop of `prepared` calls: at each step the DiT that takes its
// timestep (the only one without experts), through its denoiser, guided with its scale from
// `guidance` (one per DiT, guidance_per_dit). Borrows the denoisers.
model::VelocityFn render_velocity(const ModelPreset& preset, const ExpertDenoisers& denoisers,
                                  const PreparedRender& prepared,
                                  const std::vector<double>& guidance);

}  // namespace motionfarm::rank
