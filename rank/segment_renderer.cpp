#include "rank/segment_renderer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <utility>

#include "core/check.h"
#include "io/output_format.h"
#include "io/output_path.h"
#include "io/video_writer.h"
#include "model/seeded_noise.h"
#include "model/vae_streaming_decoder.h"
#include "rank/file_checksum.h"
#include "rank/finite_check.h"
#include "rank/image_conditioning.h"

namespace motionfarm::rank {

namespace fs = std::filesystem;

namespace {

// Frames per second as an exact-enough fraction (manifest fps are decimals like 16 or 23.976).
io::FrameRate frame_rate_of(double fps) {
  io::FrameRate rate;
  if (std::abs(fps - std::round(fps)) < 1e-9) {
    rate.numerator = static_cast<int>(std::round(fps));
    rate.denominator = 1;
    return rate;
  }
  const int numerator = static_cast<int>(std::round(fps * 1000.0));
  const int divisor = std::gcd(numerator, 1000);
  rate.numerator = numerator / divisor;
  rate.denominator = 1000 / divisor;
  return rate;
}

int64_t bytes_of(const std::string& path) {
  if (!fs::is_directory(path)) return static_cast<int64_t>(fs::file_size(path));
  int64_t total = 0;
  for (const auto& entry : fs::directory_iterator(path)) {
    total += static_cast<int64_t>(entry.file_size());
  }
  return total;
}

void check_supported(const AssetRender& asset) {
  // These settings change the pixels; rendering without them would deliver a clip the manifest
  // did not ask for, so the asset fails and says why.
  MF_CHECK(asset.renoise == 0.0, ConfigError,
           "asset '" << asset.id << "': extension.renoise is not supported by the farm yet");
  for (size_t k = 1; k < asset.segments.size(); ++k) {
    MF_CHECK_EQ(asset.segments[k].context_frames, 1, ConfigError,
                "asset '" << asset.id
                          << "': the farm chains segments through one shared frame "
                             "(extension.context_latent_frames: 1)");
  }
}

}  // namespace

at::Tensor match_latent_colours(const at::Tensor& latents, const at::Tensor& anchor) {
  // Per latent channel over (frames, rows, columns): the channels carry colour and brightness,
  // so matching their first two moments pulls a drifting segment back to the anchor's palette.
  const std::vector<int64_t> dims = {2, 3, 4};
  const at::Tensor mean = latents.mean(dims, /*keepdim=*/true);
  const at::Tensor std = latents.std(dims, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-6);
  const at::Tensor anchor_mean = anchor.mean(dims, /*keepdim=*/true).to(latents.device());
  const at::Tensor anchor_std =
      anchor.std(dims, /*unbiased=*/false, /*keepdim=*/true).to(latents.device());
  return (latents - mean) / std * anchor_std + anchor_mean;
}

RenderRequest segment_request(const AssetRender& asset, int64_t segment_index) {
  MF_CHECK(segment_index >= 0 && segment_index < static_cast<int64_t>(asset.segments.size()), Error,
           "asset '" << asset.id << "' has no segment " << segment_index);
  RenderRequest request;
  request.image = asset.image;
  request.prompt = asset.prompt;
  request.negative_prompt = asset.negative_prompt;
  request.seed = asset.seed;
  request.asset_id = asset.id;
  request.frames = asset.segments[static_cast<size_t>(segment_index)].frames;
  request.size = io::FrameSize{asset.width, asset.height};
  request.steps = asset.steps;
  request.shift = asset.shift;
  request.guidance = asset.guidance;
  request.sampler = model::parse_sampler_kind(asset.sampler);
  return request;
}

SegmentRenderer::SegmentRenderer(ModelBundle& bundle, const DenoiserBackend& denoiser)
    : bundle_(bundle), pipeline_(bundle, denoiser) {}

SegmentRenderer::SegmentRenderer(ModelBundle& bundle, ExpertDenoisers denoisers)
    : bundle_(bundle), pipeline_(bundle, std::move(denoisers)) {}

at::Tensor SegmentRenderer::render_segment(const FarmTask& task, const SegmentStart& start,
                                           const StepObserver& observer) {
  return finish_segment(task, start, render_phase(task, start, -1, observer).latent);
}

PreparedRender SegmentRenderer::prepare_segment(const FarmTask& task, const SegmentStart& start) {
  const AssetRender& asset = task.asset;
  check_supported(asset);
  const int64_t k = task.segment_index;
  const RenderRequest request = segment_request(asset, k);
  StageTimings timings;
  PreparedRender prepared = pipeline_.prepare(request, timings);
  if (k > 0) {
    MF_CHECK(start.previous_latents.defined(), Error,
             "segment " << k << " of '" << asset.id << "' needs segment " << k - 1 << "'s latents");
    const at::Tensor previous = start.previous_latents.to(bundle_.device());
    const at::Tensor frames = bundle_.vae().decode(previous);            // [1, 3, F, H, W]
    const at::Tensor context = frames.select(2, frames.size(2) - 1)[0];  // [3, H, W]
    ImageConditioning conditioning =
        encode_image_conditioning(bundle_, context, at::Tensor(), request.frames);
    if (asset.anchor && prepared.conditioning.clip_fea.defined()) {
      conditioning.clip_fea = prepared.conditioning.clip_fea;
    }
    prepared.conditioning = conditioning;
    prepared.noise =
        model::seeded_normal(model::NoiseKey{asset.seed, asset.id, k}, prepared.latent.sizes())
            .to(bundle_.device());
  }
  return prepared;
}

SamplingCheckpoint SegmentRenderer::render_phase(const FarmTask& task, const SegmentStart& start,
                                                 int64_t stop_before_step,
                                                 const StepObserver& observer) {
  const PreparedRender prepared = prepare_segment(task, start);
  return pipeline_.sample_steps(prepared, segment_request(task.asset, task.segment_index),
                                stop_before_step, observer,
                                start.resume ? &*start.resume : nullptr);
}

std::vector<SamplingCheckpoint> SegmentRenderer::render_batch_phase(
    const std::vector<BatchSegment>& members, int64_t stop_before_step,
    const BatchStepObserver& observer) {
  MF_CHECK(!members.empty(), Error, "a batch needs at least one member");
  std::vector<PreparedRender> prepared;
  for (size_t m = 0; m < members.size(); ++m) {
    try {
      prepared.push_back(prepare_segment(*members[m].task, *members[m].start));
    } catch (const CommError&) {
      throw;  // not the member's fault: the group is broken
    } catch (const std::exception&) {
      throw BatchMemberError(m, std::current_exception());
    }
  }
  std::vector<BatchRender> renders;
  for (size_t m = 0; m < members.size(); ++m) {
    const FarmTask& task = *members[m].task;
    const SegmentStart& start = *members[m].start;
    renders.push_back(
        BatchRender{&prepared[m], start.resume ? &*start.resume : nullptr,
                    "'" + task.asset.id + "' segment " + std::to_string(task.segment_index)});
  }
  const FarmTask& first = *members.front().task;
  return pipeline_.sample_batch(renders, segment_request(first.asset, first.segment_index),
                                stop_before_step, observer);
}

at::Tensor SegmentRenderer::finish_segment(const FarmTask& task, const SegmentStart& start,
                                           const at::Tensor& latent) const {
  const AssetRender& asset = task.asset;
  const int64_t k = task.segment_index;
  if (k == 0 || !asset.color_match) return latent;
  MF_CHECK(
      start.anchor_latents.defined(), Error,
      "segment " << k << " of '" << asset.id << "' needs segment 0's latents to match colours");
  return match_latent_colours(latent, start.anchor_latents);
}

std::vector<OutputRecord> SegmentRenderer::assemble(const FarmTask& task,
                                                    const io::LatentStore& store) {
  const AssetRender& asset = task.asset;
  std::vector<std::unique_ptr<io::VideoWriter>> writers;
  for (const Deliverable& deliverable : asset.deliverables) {
    io::VideoWriterOptions options;
    options.format = io::parse_output_format(deliverable.format);
    options.width = static_cast<int>(asset.width);
    options.height = static_cast<int>(asset.height);
    options.frame_rate = frame_rate_of(asset.fps);
    options.metadata.title = bundle_.untrained_label().empty()
                                 ? "motionfarm " + asset.id
                                 : "UNTRAINED " + bundle_.untrained_label() + " | " + asset.id;
    options.metadata.prompt = asset.prompt;
    options.metadata.seed = static_cast<int64_t>(asset.seed);
    options.metadata.model = bundle_.preset().name;
    io::OutputPolicy policy;
    policy.root = deliverable.root;
    policy.replace_existing = deliverable.replace;
    // Before any folder is made: create_directories would follow a symlink out of the root.
    if (!policy.root.empty()) {
      const std::string problem = io::output_path_escape(policy.root, deliverable.path);
      MF_CHECK(problem.empty(), OutputPathError,
               "refusing to write " << deliverable.path << ": " << problem);
    }
    fs::create_directories(fs::path(deliverable.path).parent_path());
    writers.push_back(std::make_unique<io::VideoWriter>(deliverable.path, options, policy));
  }
  // The clip's latent timeline is decoded as one stream: each later segment's first latent frame
  // holds the frame it shares with the previous segment (already decoded, so skipped), and the
  // causal cache carries across the seam, so there is no decoder restart there. One latent frame
  // at a time: memory stays flat for any clip length.
  model::VaeStreamingDecoder decoder(bundle_.vae());
  for (size_t k = 0; k < asset.segments.size(); ++k) {
    const SegmentWork& segment = asset.segments[k];
    const at::Tensor latent = store.read_segment(static_cast<int>(k)).to(bundle_.device());
    int64_t remaining = segment.new_frames;
    for (int64_t t = k == 0 ? 0 : 1; t < latent.size(2) && remaining > 0; ++t) {
      const at::Tensor frames = decoder.decode_next(latent.narrow(2, t, 1));  // [1, 3, F, H, W]
      const int64_t take = std::min(remaining, frames.size(2));
      // [N, 3, H, W]: the frames this latent frame adds to the clip.
      const at::Tensor added = frames[0].narrow(1, 0, take).permute({1, 0, 2, 3});
      check_finite(added, "VAE decode of segment " + std::to_string(k) + " of '" + asset.id +
                              "' (latent frame " + std::to_string(t + 1) + " of " +
                              std::to_string(latent.size(2)) + ")");
      for (auto& writer : writers) writer->write_frames(added);
      remaining -= take;
    }
    MF_CHECK_EQ(remaining, 0, Error,
                "segment " << k << " of '" << asset.id << "' decoded to too few frames");
  }
  // Every format or none: a failed attempt removes what it renamed into place, so its retry does
  // not find its own half-delivered asset in the way (docs/farm.md).
  std::vector<OutputRecord> records;
  size_t committed = 0;
  try {
    for (size_t i = 0; i < writers.size(); ++i) {
      writers[i]->finish();
      committed = i + 1;
      const std::string& path = asset.deliverables[i].path;
      records.push_back({asset.deliverables[i].format, path, bytes_of(path), file_checksum(path)});
    }
  } catch (...) {
    for (size_t i = 0; i < committed; ++i) {
      std::error_code ignored;
      fs::remove_all(asset.deliverables[i].path, ignored);
    }
    throw;
  }
  return records;
}

}  // namespace motionfarm::rank
