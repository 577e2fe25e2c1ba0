// How the input image conditions the DiT, in both public variants (and first+last frame):
//
//   Wan2.1 i2v / flf2v (wan/image2video.py, wan/first_last_frame2video.py): the VAE encodes the
//   image followed by zero frames (flf2v: the last image as the last frame) into a latent clip;
//   four mask channels per latent frame mark the pixel frames that were given; y = [mask, latent]
//   is concatenated to the noisy latent inside the DiT (in_dim 36 = 16 + 4 + 16), and CLIP tokens
//   of the image(s) enter the image cross-attention.
//   Wan2.2 i2v (A14B, wan/image2video.py): the same `y` (mask + latent, in_dim 36), but no CLIP:
//   the image reaches the model through `y` alone.
//   Wan2.2 ti2v (wan/textimage2video.py): the first latent frame of the noisy latent is replaced
//   by the encoded image, before the first step and after every step, and its tokens get
//   timestep 0 while the others get the step's timestep.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "io/image_fit.h"
#include "rank/model_bundle.h"
#include "rank/model_preset.h"

namespace motionfarm::rank {

// The latent clip of `frames` pixel frames at `size`: [1, channels, frames, height, width].
struct LatentShape {
  int64_t channels = 0;
  int64_t frames = 0;
  int64_t height = 0;
  int64_t width = 0;

  std::vector<int64_t> sizes() const { return {1, channels, frames, height, width}; }
};

// Throws ConfigError unless `frames` is 1 + 4n (the VAE's temporal stride) and both sides of
// `size` are multiples of the preset's spatial stride; the messages name the nearest valid values.
LatentShape latent_shape_for(const ModelPreset& preset, int64_t frames, const io::FrameSize& size);

// The Wan2.1 mask channels: [temporal_stride, latent frames, lat_h, lat_w] float32, built as the
// reference builds `msk` (pixel frames given → 1, the first one repeated to fill the first latent
// frame's channels). `last_frame` marks the last pixel frame as given too (flf2v).
at::Tensor conditioning_mask(int64_t frames, int64_t temporal_stride, int64_t lat_h, int64_t lat_w,
                             bool last_frame);

struct ImageConditioning {
  ConditioningKind kind = ConditioningKind::kClipAndLatent;
  at::Tensor y;         // i2v/flf2v: [1, 4 + z, T, h, w] float32 (mask channels first)
  at::Tensor clip_fea;  // Wan2.1 i2v: [1, tokens, 1280]; flf2v: [2, tokens, 1280] (first, last)
  at::Tensor first_frame_latent;  // ti2v: [1, z, 1, h, w] float32
};

// first_frame / last_frame: [3, H, W] in [-1, 1] at the render size (last_frame undefined unless
// the preset is flf2v, where it is required). Runs the VAE encoder and, for presets with the CLIP
// image branch (Wan2.1 i2v/flf2v), CLIP.
ImageConditioning encode_image_conditioning(const ModelBundle& bundle,
                                            const at::Tensor& first_frame,
                                            const at::Tensor& last_frame, int64_t frames);

// ti2v: `latent` [1, z, T, h, w] with its first latent frame replaced by `first_frame_latent`
// (exactly: the other frames are untouched and the first equals the encoded image bitwise).
at::Tensor replace_first_latent_frame(const at::Tensor& latent,
                                      const at::Tensor& first_frame_latent);

// ti2v: the per-token timesteps [1, seq_len] float32 for step timestep `t`: 0 on the first latent
// frame's tokens, `t` on the others and on the padding from the token count up to seq_len, the
// token count rounded up to `sequence_multiple` (the reference pads to the sequence-parallel
// degree). Tokens in (frame, row, column) order after the 1 x P x P patching.
at::Tensor first_frame_token_timesteps(const LatentShape& latent, int64_t patch, double t,
                                       int64_t sequence_multiple = 1);

}  // namespace motionfarm::rank
