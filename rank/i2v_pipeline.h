// The single-process image-to-video pipeline: image + prompt -> clip.
//
//   text    the prompt and negative prompt through the umT5 prompt encoder (cached per prompt)
//   image   decode, fit to the render size, encode the conditioning (VAE, and CLIP for Wan2.1)
//   sample  seeded noise -> the DiT sampling loop (UniPC or Euler, classifier-free guidance)
//   decode  the streaming VAE decoder, one latent frame at a time ...
//   encode  ... straight into the VideoWriter, which renames the file into place when done
//
// The DiT is reached only through a DenoiserBackend, so the farm runs the same pipeline with the
// DiT split over a model group. Every latent and decoded chunk is checked for NaN/Inf
// (NonFiniteError naming the step); nothing non-finite reaches a deliverable.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "io/image_fit.h"
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

class I2VPipeline {
 public:
  // Borrows both; they must outlive the pipeline. `denoiser` must run `bundle.dit()`'s config.
  I2VPipeline(ModelBundle& bundle, const DenoiserBackend& denoiser);

  // The whole render into request.output_path. Throws ConfigError/InputError for a request that
  // does not fit the model (naming the option or file), NonFiniteError for NaN/Inf.
  RenderResult render(const RenderRequest& request, const StepObserver& observer = {});

  // The text and image stages (adds their times to `timings`).
  PreparedRender prepare(const RenderRequest& request, StageTimings& timings);
  // The sampling loop: the final latent [1, z, T, h, w] float32; from `resume` when given.
  at::Tensor sample(const PreparedRender& prepared, const RenderRequest& request,
                    const StepObserver& observer = {},
                    const SamplingCheckpoint* resume = nullptr) const;

 private:
  ModelBundle& bundle_;
  const DenoiserBackend& denoiser_;
};

}  // namespace motionfarm::rank
