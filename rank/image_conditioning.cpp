#include "rank/image_conditioning.h"

#include <string>

#include "core/check.h"

namespace motionfarm::rank {
namespace {

// "13 or 17" for a frame count that is not 1 + stride * n.
std::string nearest_frame_counts(int64_t frames, int64_t stride) {
  const int64_t below = frames <= 1 ? 1 : 1 + (frames - 1) / stride * stride;
  const int64_t above = below + stride;
  return below == frames ? std::to_string(frames)
                         : std::to_string(below) + " or " + std::to_string(above);
}

}  // namespace

LatentShape latent_shape_for(const ModelPreset& preset, int64_t frames, const io::FrameSize& size) {
  const int64_t temporal = preset.temporal_stride();
  MF_CHECK(frames >= 1 && (frames - 1) % temporal == 0, ConfigError,
           "--frames " << frames << " is not " << temporal << "n+1 (the VAE encodes 1 + "
                       << temporal << "n frames): use " << nearest_frame_counts(frames, temporal));
  const int64_t stride = preset.spatial_stride();
  MF_CHECK(
      size.width > 0 && size.height > 0 && size.width % stride == 0 && size.height % stride == 0,
      ConfigError,
      "size " << size.width << "x" << size.height << " does not fit preset '" << preset.name
              << "': both sides must be multiples of " << stride << " (VAE stride "
              << preset.vae.spatial_factor() << " x patch " << preset.dit.patch_size[1]
              << "), e.g. " << (size.width + stride / 2) / stride * stride << "x"
              << (size.height + stride / 2) / stride * stride);
  const int64_t spatial = preset.vae.spatial_factor();
  return {preset.vae.z_dim, 1 + (frames - 1) / temporal, size.height / spatial,
          size.width / spatial};
}

at::Tensor conditioning_mask(int64_t frames, int64_t temporal_stride, int64_t lat_h, int64_t lat_w,
                             bool last_frame) {
  MF_CHECK(frames >= 1 && (frames - 1) % temporal_stride == 0, ConfigError,
           "the mask needs 1 + " << temporal_stride << "n frames, got " << frames);
  // Which pixel frames were given: [frames].
  at::Tensor given = at::zeros({frames}, at::kFloat);
  given[0] = 1.0;
  if (last_frame) given[frames - 1] = 1.0;
  // The first frame stands for a whole latent frame: repeat it so every latent frame has
  // `temporal_stride` entries, then one channel per entry: [stride, T].
  const at::Tensor padded =
      at::cat({given.narrow(0, 0, 1).repeat({temporal_stride}), given.narrow(0, 1, frames - 1)});
  const at::Tensor channels = padded.view({-1, temporal_stride}).transpose(0, 1);
  return channels.reshape({temporal_stride, -1, 1, 1}).expand({-1, -1, lat_h, lat_w}).contiguous();
}

ImageConditioning encode_image_conditioning(const ModelBundle& bundle,
                                            const at::Tensor& first_frame,
                                            const at::Tensor& last_frame, int64_t frames) {
  const ModelPreset& preset = bundle.preset();
  MF_CHECK(first_frame.defined() && first_frame.dim() == 3 && first_frame.size(0) == 3, InputError,
           "the first frame must be [3, H, W]");
  const io::FrameSize size{first_frame.size(2), first_frame.size(1)};
  const LatentShape latent = latent_shape_for(preset, frames, size);
  const model::WanVae& vae = bundle.vae();

  ImageConditioning conditioning;
  conditioning.kind = preset.conditioning();
  const bool flf2v = conditioning.kind == ConditioningKind::kFirstLastFrame;
  MF_CHECK(last_frame.defined() == flf2v, InputError,
           (flf2v ? "preset '" + preset.name + "' is first+last frame: give a last frame"
                  : "a last frame is only used by flf2v presets; '" + preset.name + "' is " +
                        preset.dit.model_type));

  if (conditioning.kind == ConditioningKind::kFirstFrameLatent) {
    // [1, 3, 1, H, W] -> [1, z, 1, h, w]
    conditioning.first_frame_latent = vae.encode(first_frame.unsqueeze(0).unsqueeze(2));
    return conditioning;
  }

  if (flf2v) {
    MF_CHECK(last_frame.sizes() == first_frame.sizes(), InputError,
             "the last frame must have the first frame's size " << first_frame.sizes() << ", got "
                                                                << last_frame.sizes());
  }
  // The clip the VAE sees: the image(s) where given, zeros elsewhere: [1, 3, F, H, W].
  at::Tensor video = at::zeros({1, 3, frames, size.height, size.width}, first_frame.options());
  video.select(2, 0).copy_(first_frame.unsqueeze(0));
  if (flf2v) video.select(2, frames - 1).copy_(last_frame.unsqueeze(0));
  const at::Tensor image_latent = vae.encode(video);  // [1, z, T, h, w] float32
  const at::Tensor mask =
      conditioning_mask(frames, preset.temporal_stride(), latent.height, latent.width, flf2v)
          .to(image_latent.device());
  conditioning.y = at::cat({mask.unsqueeze(0), image_latent}, 1);  // [1, 4 + z, T, h, w]
  // Wan2.2 i2v: the image reaches the model through `y` alone; there is no image encoder.
  if (conditioning.kind == ConditioningKind::kMaskAndLatent) return conditioning;

  const model::ClipVisionEncoder* clip = bundle.image_encoder();
  MF_CHECK(clip != nullptr, ModelError, "preset '" << preset.name << "' has no image encoder");
  // [N, 3, H, W]: the reference passes each image at the render size.
  const at::Tensor images = flf2v ? at::stack({first_frame, last_frame}) : first_frame.unsqueeze(0);
  conditioning.clip_fea = clip->encode(images);  // [N, tokens, 1280]
  return conditioning;
}

at::Tensor replace_first_latent_frame(const at::Tensor& latent,
                                      const at::Tensor& first_frame_latent) {
  MF_CHECK(latent.dim() == 5 && first_frame_latent.dim() == 5 && first_frame_latent.size(2) == 1,
           ModelError,
           "expected latent [1, z, T, h, w] and first frame [1, z, 1, h, w], got "
               << latent.sizes() << " and " << first_frame_latent.sizes());
  const at::Tensor first = first_frame_latent.to(latent.device(), latent.scalar_type());
  if (latent.size(2) == 1) return first.clone();
  return at::cat({first, latent.narrow(2, 1, latent.size(2) - 1)}, 2);
}

at::Tensor first_frame_token_timesteps(const LatentShape& latent, int64_t patch, double t,
                                       int64_t sequence_multiple) {
  MF_CHECK(patch > 0 && latent.height % patch == 0 && latent.width % patch == 0, ModelError,
           "the latent " << latent.height << "x" << latent.width << " does not split into " << patch
                         << "x" << patch << " patches");
  MF_CHECK_GT(sequence_multiple, 0, ModelError, "the sequence multiple must be positive");
  const int64_t per_frame = (latent.height / patch) * (latent.width / patch);
  const int64_t tokens = latent.frames * per_frame;
  const int64_t seq_len = (tokens + sequence_multiple - 1) / sequence_multiple * sequence_multiple;
  at::Tensor timesteps = at::full({1, seq_len}, t, at::kFloat);
  timesteps.narrow(1, 0, per_frame).zero_();
  return timesteps;
}

}  // namespace motionfarm::rank
