// Decodes a latent clip straight into a VideoWriter, one chunk of latent frames at a time with
// the streaming VAE decoder: only one chunk's frames are ever in memory, whatever the clip length.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "io/video_writer.h"
#include "model/wan_vae.h"

namespace motionfarm::rank {

struct DecodeReport {
  int64_t frames = 0;           // pixel frames handed to the writer
  double decode_seconds = 0.0;  // in the VAE decoder
  double encode_seconds = 0.0;  // in the writer
};

// latents: [1, z, T, h, w] normalised. Every decoded chunk is checked for NaN/Inf before it is
// written (NonFiniteError naming the latent frames). Does not call writer.finish().
DecodeReport decode_into_writer(const model::WanVae& vae, const at::Tensor& latents,
                                io::VideoWriter& writer, int64_t latent_frames_per_chunk = 1);

}  // namespace motionfarm::rank
