// The guided velocity of one render as the sampler sees it: velocity(latent, timestep) calls the
// denoiser with the prompt's context (conditional branch) and the negative prompt's
// (unconditional branch), the image conditioning of the preset's variant, and the timestep as
// the variant wants it (one per clip, or one per token with 0 on a ti2v first frame).
#pragma once

#include <ATen/ATen.h>

#include "model/sampler.h"
#include "rank/denoiser.h"
#include "rank/image_conditioning.h"

namespace motionfarm::rank {

// A batch stacks its members along dim 0 (each zero-padded to the model's text_len, which the
// DiT does to any shorter context anyway): [B, text_len, text_dim].
struct PromptContexts {
  at::Tensor prompt;           // [1, Lt, text_dim]: the text encoder's states of the prompt
  at::Tensor negative_prompt;  // [1, Ln, text_dim]
};

// The latent passed to the returned function may be a batch [B, z, T, h, w] when the prompts
// and conditioning are stacked to B as well (one timestep for all: lockstep).
// Borrows `backend`, which must outlive the returned function; copies the tensors' handles.
model::VelocityFn conditioned_velocity(const DenoiserBackend& backend,
                                       const PromptContexts& prompts,
                                       const ImageConditioning& conditioning,
                                       const LatentShape& latent, double guidance);

}  // namespace motionfarm::rank
