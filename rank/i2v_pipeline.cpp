#include "rank/i2v_pipeline.h"

#include "core/check.h"
#include "core/log.h"
#include "io/image_decoder.h"
#include "io/video_writer.h"
#include "model/seeded_noise.h"
#include "rank/latent_to_video.h"
#include "rank/resource_usage.h"

namespace motionfarm::rank {
namespace {

// [3, H, W] in [-1, 1], decoded and fitted to `size`.
at::Tensor load_frame(const std::string& path, const io::FrameSize& size, io::FitMode fit,
                      int64_t stride) {
  io::FitOptions options;
  options.mode = fit;
  options.stride = stride;
  return io::fit_image(io::decode_image(path).pixels, size, options);
}

io::VideoWriterOptions writer_options(const RenderRequest& request, const PreparedRender& prepared,
                                      const ModelBundle& bundle) {
  io::VideoWriterOptions options = request.output;
  options.width = static_cast<int>(prepared.size.width);
  options.height = static_cast<int>(prepared.size.height);
  io::VideoMetadata& metadata = options.metadata;
  if (!bundle.untrained_label().empty()) {
    // Whatever the caller asked for, a clip from untrained weights says so where players show it.
    metadata.title = "UNTRAINED " + bundle.untrained_label() +
                     (metadata.title.empty() ? "" : " | " + metadata.title);
  } else if (metadata.title.empty()) {
    metadata.title = "motionfarm render";
  }
  if (metadata.prompt.empty()) metadata.prompt = request.prompt;
  if (!metadata.seed) metadata.seed = static_cast<int64_t>(request.seed);
  if (metadata.model.empty()) metadata.model = bundle.preset().name;
  return options;
}

}  // namespace

I2VPipeline::I2VPipeline(ModelBundle& bundle, const DenoiserBackend& denoiser)
    : bundle_(bundle), denoiser_(denoiser) {
  const model::WanDiTConfig& ours = bundle.dit().config();
  const model::WanDiTConfig& theirs = denoiser.config();
  MF_CHECK(ours.model_type == theirs.model_type && ours.dim == theirs.dim &&
               ours.num_layers == theirs.num_layers && ours.in_dim == theirs.in_dim,
           ModelError, "the denoiser runs another DiT than the bundle's");
}

PreparedRender I2VPipeline::prepare(const RenderRequest& request, StageTimings& timings) {
  request.validate();
  const ModelPreset& preset = bundle_.preset();
  PreparedRender prepared;
  Stopwatch clock;

  // Text first: an over-length prompt fails before any image work.
  model::Umt5PromptEncoder& text = bundle_.text_encoder();
  prepared.prompts.prompt = text.encode(request.prompt).unsqueeze(0);  // [1, L, text_dim]
  prepared.prompts.negative_prompt = text.encode(request.negative_prompt).unsqueeze(0);
  timings.text += clock.lap();

  const io::DecodedImage image = io::decode_image(request.image);
  prepared.size = resolve_frame_size(request, image.pixels.size(2), image.pixels.size(1),
                                     preset.spatial_stride());
  prepared.latent = latent_shape_for(preset, request.frames, prepared.size);
  io::FitOptions fit;
  fit.mode = request.fit;
  fit.stride = preset.spatial_stride();
  const at::Tensor first = io::fit_image(image.pixels, prepared.size, fit);
  at::Tensor last;
  if (!request.last_image.empty()) {
    last = load_frame(request.last_image, prepared.size, request.fit, preset.spatial_stride());
  }
  prepared.conditioning = encode_image_conditioning(bundle_, first, last, request.frames);
  timings.image += clock.lap();

  prepared.noise = model::seeded_normal(model::NoiseKey{request.seed, request.asset_id, 0},
                                        prepared.latent.sizes())
                       .to(bundle_.device());
  return prepared;
}

at::Tensor I2VPipeline::sample(const PreparedRender& prepared, const RenderRequest& request,
                               const StepObserver& observer,
                               const SamplingCheckpoint* resume) const {
  const model::VelocityFn velocity = conditioned_velocity(
      denoiser_, prepared.prompts, prepared.conditioning, prepared.latent, request.guidance);
  SamplingOptions options;
  options.sampler = request.sampler;
  options.schedule.num_steps = request.steps;
  options.schedule.shift = request.shift;
  return sample_latents(velocity, prepared.noise, options, prepared.conditioning, observer, resume);
}

RenderResult I2VPipeline::render(const RenderRequest& request, const StepObserver& observer) {
  MF_CHECK(!request.output_path.empty(), InputError, "no output: pass --out PATH");
  RenderResult result;
  result.seconds.load = bundle_.load_seconds();
  result.untrained_label = bundle_.untrained_label();
  const PreparedRender prepared = prepare(request, result.seconds);
  result.size = prepared.size;
  result.latent = prepared.latent;
  MF_LOG(Info, "pipeline") << "rendering " << request.frames << " frames at " << prepared.size.width
                           << "x" << prepared.size.height << ", latent " << prepared.latent.frames
                           << "x" << prepared.latent.height << "x" << prepared.latent.width << ", "
                           << request.steps << " steps";

  // The output options are checked now (e.g. a size the encoder cannot take), before the
  // expensive sampling; the writer opens only after it, so a failed render leaves nothing behind.
  const io::VideoWriterOptions output = writer_options(request, prepared, bundle_);
  output.validate();

  Stopwatch clock;
  const at::Tensor latents = sample(prepared, request, observer);
  result.seconds.sample = clock.lap();

  io::VideoWriter writer(request.output_path, output);
  const DecodeReport decoded = decode_into_writer(bundle_.vae(), latents, writer);
  Stopwatch finish_clock;
  writer.finish();
  result.seconds.decode = decoded.decode_seconds;
  result.seconds.encode = decoded.encode_seconds + finish_clock.lap();
  result.frames = decoded.frames;
  result.output_path = writer.path();
  result.peak_resident_bytes = peak_resident_bytes();

  const StageTimings& s = result.seconds;
  MF_LOG(Info, "pipeline") << "wrote " << result.output_path << " (" << result.frames
                           << " frames) | load " << s.load << " s, text " << s.text << " s, image "
                           << s.image << " s, sample " << s.sample << " s, decode " << s.decode
                           << " s, encode " << s.encode << " s | peak memory "
                           << result.peak_resident_bytes / (1024 * 1024) << " MiB";
  return result;
}

}  // namespace motionfarm::rank
