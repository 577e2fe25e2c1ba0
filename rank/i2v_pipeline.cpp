#include "rank/i2v_pipeline.h"

#include <utility>

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

std::vector<double> guidance_per_dit(const ModelPreset& preset, std::optional<double> request) {
  const double fallback = preset.sampling.guidance.value_or(kDefaultGuidance);
  std::vector<double> scales;
  for (int64_t i = 0; i < preset.dit_count(); ++i) {
    const std::optional<double> own =
        preset.has_experts() ? preset.experts[static_cast<size_t>(i)].guidance : std::nullopt;
    scales.push_back(request.value_or(own.value_or(fallback)));
  }
  return scales;
}

SamplingOptions sampling_options(const RenderRequest& request) {
  SamplingOptions options;
  options.sampler = request.sampler;
  options.schedule.num_steps = request.steps;
  options.schedule.shift = request.shift;
  return options;
}

std::vector<model::ExpertPhase> render_phases(const ModelPreset& preset,
                                              const RenderRequest& request) {
  return model::expert_phases(preset.experts,
                              model::FlowSchedule(sampling_options(request).schedule));
}

model::VelocityFn render_velocity(const ModelPreset& preset, const ExpertDenoisers& denoisers,
                                  const PreparedRender& prepared,
                                  const std::vector<double>& guidance) {
  MF_CHECK(static_cast<int64_t>(denoisers.size()) == preset.dit_count() &&
               static_cast<int64_t>(guidance.size()) == preset.dit_count(),
           ConfigError,
           "preset '" << preset.name << "' has " << preset.dit_count() << " DiT(s); got "
                      << denoisers.size() << " denoisers and " << guidance.size()
                      << " guidance scales");
  std::vector<model::VelocityFn> per_dit;
  for (size_t i = 0; i < denoisers.size(); ++i) {
    per_dit.push_back(denoisers[i] == nullptr
                          ? model::VelocityFn()
                          : conditioned_velocity(*denoisers[i], prepared.prompts,
                                                 prepared.conditioning, prepared.latent,
                                                 guidance[i]));
  }
  return model::route_to_experts(preset.experts, std::move(per_dit),
                                 model::FlowScheduleConfig().num_train_timesteps);
}

I2VPipeline::I2VPipeline(ModelBundle& bundle, const DenoiserBackend& denoiser)
    : I2VPipeline(bundle, ExpertDenoisers{&denoiser}) {}

I2VPipeline::I2VPipeline(ModelBundle& bundle, ExpertDenoisers denoisers)
    : bundle_(bundle), denoisers_(std::move(denoisers)) {
  const ModelPreset& preset = bundle.preset();
  MF_CHECK(static_cast<int64_t>(denoisers_.size()) == preset.dit_count(), ConfigError,
           "preset '" << preset.name << "' has " << preset.dit_count()
                      << " DiT(s) (one per expert): give one denoiser each, got "
                      << denoisers_.size());
  const model::WanDiTConfig& ours = preset.dit;
  for (const DenoiserBackend* denoiser : denoisers_) {
    if (denoiser == nullptr) continue;
    const model::WanDiTConfig& theirs = denoiser->config();
    MF_CHECK(ours.model_type == theirs.model_type && ours.dim == theirs.dim &&
                 ours.num_layers == theirs.num_layers && ours.in_dim == theirs.in_dim,
             ModelError, "the denoiser runs another DiT than the bundle's");
  }
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
  return sample_steps(prepared, request, -1, observer, resume).latent;
}

SamplingCheckpoint I2VPipeline::sample_steps(const PreparedRender& prepared,
                                             const RenderRequest& request, int64_t stop_before_step,
                                             const StepObserver& observer,
                                             const SamplingCheckpoint* resume) const {
  const ModelPreset& preset = bundle_.preset();
  const model::VelocityFn velocity =
      render_velocity(preset, denoisers_, prepared, guidance_per_dit(preset, request.guidance));
  SamplingOptions options = sampling_options(request);
  options.stop_before_step = stop_before_step;
  return run_sampling(velocity, prepared.noise, options, prepared.conditioning, observer, resume);
}

namespace {

// [B, ...]: the members' tensors one after another (undefined when the first member has none).
at::Tensor stack_members(const std::vector<at::Tensor>& tensors) {
  if (tensors.empty() || !tensors.front().defined()) return at::Tensor();
  return tensors.size() == 1 ? tensors.front() : at::cat(tensors, 0);
}

// A prompt's states zero-padded to the DiT's text_len, as the DiT pads any shorter context, so
// prompts of different lengths stack.
at::Tensor padded_context(const at::Tensor& states, int64_t text_len) {
  MF_CHECK_LE(states.size(1), text_len, ConfigError,
              "a prompt's text states are longer than the model's text_len");
  return at::constant_pad_nd(states, {0, 0, 0, text_len - states.size(1)}, 0.0);
}

}  // namespace

std::vector<SamplingCheckpoint> I2VPipeline::sample_batch(const std::vector<BatchRender>& members,
                                                          const RenderRequest& request,
                                                          int64_t stop_before_step,
                                                          const BatchStepObserver& observer) const {
  MF_CHECK(!members.empty(), Error, "a batch needs at least one member");
  const ModelPreset& preset = bundle_.preset();
  const int64_t text_len = preset.dit.text_len;
  // The batch as one render: every conditioning tensor stacked along dim 0.
  PreparedRender stacked;
  stacked.latent = members.front().prepared->latent;
  stacked.size = members.front().prepared->size;
  std::vector<at::Tensor> prompts, negatives, ys, clips;
  std::vector<BatchMember> runs;
  for (const BatchRender& member : members) {
    const PreparedRender& p = *member.prepared;
    MF_CHECK(p.latent.sizes() == stacked.latent.sizes(), ConfigError,
             "the members of a batch must share one latent shape: " << member.label << " has "
                                                                    << p.noise.sizes());
    prompts.push_back(padded_context(p.prompts.prompt, text_len));
    negatives.push_back(padded_context(p.prompts.negative_prompt, text_len));
    ys.push_back(p.conditioning.y);
    clips.push_back(p.conditioning.clip_fea);
    runs.push_back(BatchMember{p.noise, &p.conditioning, member.resume, member.label});
  }
  stacked.prompts.prompt = stack_members(prompts);
  stacked.prompts.negative_prompt = stack_members(negatives);
  stacked.conditioning.kind = members.front().prepared->conditioning.kind;
  stacked.conditioning.y = stack_members(ys);
  stacked.conditioning.clip_fea = stack_members(clips);
  const model::VelocityFn velocity =
      render_velocity(preset, denoisers_, stacked, guidance_per_dit(preset, request.guidance));
  SamplingOptions options = sampling_options(request);
  options.stop_before_step = stop_before_step;
  return run_batch_sampling(velocity, runs, options, observer);
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
  if (bundle_.preset().has_experts()) {
    const std::vector<double> guidance = guidance_per_dit(bundle_.preset(), request.guidance);
    for (const model::ExpertPhase& phase : render_phases(bundle_.preset(), request)) {
      MF_LOG(Info, "pipeline") << "expert " << bundle_.preset().dit_name(phase.expert) << ": steps "
                               << phase.begin_step + 1 << "-" << phase.end_step << " ("
                               << phase.steps() << "), guidance "
                               << guidance[static_cast<size_t>(phase.expert)];
    }
  }

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
