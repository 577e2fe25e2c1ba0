// The farm's two kinds of work on one model group, built from the single-process pipeline
// (i2v_pipeline.h): render one segment of an asset's chain to its final latents, and assemble
// an asset's segments into its deliverables.
//
// Segment 0 is the pipeline's render of the asset's image. Segment k > 0 continues the clip: its
// first frame is the last decoded frame of segment k-1 (the manifest's shared context frame), it
// keeps the original image's CLIP features when `anchor` is set, its noise is keyed by
// (seed, asset, k), and with `color_match` its latents are matched to segment 0's. The assembly
// decodes the whole latent timeline as one causal stream (each later segment's shared frame is
// skipped, so there is no decoder restart at a seam) and streams the frames into one VideoWriter
// per format (atomic rename when done). docs/extension.md describes the method.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "io/latent_store.h"

#include "rank/denoiser.h"
#include "rank/farm_task.h"
#include "rank/i2v_pipeline.h"
#include "rank/model_bundle.h"
#include "rank/sampling_loop.h"

namespace motionfarm::rank {

// Where a segment starts from: the previous segment's final latents (segment k > 0) and, when
// an earlier run stopped inside this segment, the checkpoint it left.
struct SegmentStart {
  at::Tensor previous_latents;  // [1, z, T, h, w]; undefined for segment 0
  at::Tensor anchor_latents;    // segment 0's, when the asset matches colours (k > 0)
  std::optional<SamplingCheckpoint> resume;
};

// Colour matching against drift (extension.color_match): `latents` with each latent channel's
// mean and standard deviation over the clip replaced by `anchor`'s (segment 0's).
at::Tensor match_latent_colours(const at::Tensor& latents, const at::Tensor& anchor);

class SegmentRenderer {
 public:
  // Borrows both; they must outlive the renderer.
  SegmentRenderer(ModelBundle& bundle, const DenoiserBackend& denoiser);
  // A preset with experts: one denoiser per expert, null for those the group does not hold (a
  // task may only reach the steps of those it holds: FarmTask's phase).
  SegmentRenderer(ModelBundle& bundle, ExpertDenoisers denoisers);

  // The final latent [1, z, T, h, w] float32 of `task`'s segment, from `start` (what the asset's
  // latent store holds for it, rank/latent_checkpoint.h). Collective over the denoiser's group
  // when it is parallel: every rank of the group calls it with the same task and start. Throws
  // ConfigError for extension settings the farm does not support yet (context_latent_frames > 1,
  // renoise, color_match), InputError for a bad image, NonFiniteError for NaN/Inf.
  at::Tensor render_segment(const FarmTask& task, const SegmentStart& start,
                            const StepObserver& observer = {});
  // One expert phase of the segment: its sampling from `start` (the state an earlier phase
  // parked, or step 0) up to, not including, step `stop_before_step` (-1: the end, without colour
  // matching), returning the checkpoint there: the state the segment's next phase resumes from,
  // bitwise as if it had not stopped. Collective and throwing as render_segment.
  SamplingCheckpoint render_phase(const FarmTask& task, const SegmentStart& start,
                                  int64_t stop_before_step, const StepObserver& observer = {});

  // One member of a batch: its task and start (borrowed).
  struct BatchSegment {
    const FarmTask* task = nullptr;
    const SegmentStart* start = nullptr;
  };
  // render_phase for several tasks whose assets share one batch key (farm batching,
  // docs/farm.md "Batching": one latent shape, sampler, steps, shift and guidance), sampled in
  // lockstep, one forward over all members per guidance branch and step. Every member must resume
  // at the same step. One checkpoint per member, in order. Throws BatchMemberError naming the
  // member whose image, prompt, conditioning or latents failed (its error inside).
  std::vector<SamplingCheckpoint> render_batch_phase(const std::vector<BatchSegment>& members,
                                                     int64_t stop_before_step,
                                                     const BatchStepObserver& observer = {});
  // A finished segment's latents as delivered: colour-matched to segment 0 when the asset asks.
  at::Tensor finish_segment(const FarmTask& task, const SegmentStart& start,
                            const at::Tensor& latent) const;

  // Decodes every segment from `store` and writes every deliverable of the asset: all of them or
  // none (a failure removes those already renamed into place). Not collective: the group's leader
  // alone calls it. Throws NonFiniteError naming the segment and latent frame whose VAE decode
  // produced NaN/Inf, before any of it is encoded; OutputPathError when a deliverable's path
  // leaves its root or may not replace the file there (Deliverable, io/staged_output.h);
  // DiskFullError when the disk is full.
  std::vector<OutputRecord> assemble(const FarmTask& task, const io::LatentStore& store);

 private:
  // The text and image stages of `task`'s segment: segment k > 0 conditions on the last frame of
  // segment k-1 (keeping the image's CLIP features when anchored) with noise keyed by k.
  PreparedRender prepare_segment(const FarmTask& task, const SegmentStart& start);

  ModelBundle& bundle_;
  I2VPipeline pipeline_;
};

// The RenderRequest of `asset`'s segment `segment_index` (its frames, size and sampler).
RenderRequest segment_request(const AssetRender& asset, int64_t segment_index);

}  // namespace motionfarm::rank
