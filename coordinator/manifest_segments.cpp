#include "coordinator/manifest_segments.h"

#include <algorithm>

#include "core/check.h"

namespace motionfarm::coordinator {

int64_t round_up_to_segment_length(int64_t frames, int64_t temporal_stride) {
  if (frames <= 1) return 1;
  return 1 + (frames - 1 + temporal_stride - 1) / temporal_stride * temporal_stride;
}

int64_t context_pixel_frames(int64_t context_latent_frames, int64_t temporal_stride) {
  return 1 + (context_latent_frames - 1) * temporal_stride;
}

std::vector<SegmentPlan> plan_segments(int64_t total_frames, const ExtensionSettings& extension,
                                       int64_t temporal_stride) {
  const int64_t segment_frames = extension.segment_frames;
  const int64_t context = context_pixel_frames(extension.context_latent_frames, temporal_stride);
  MF_CHECK_GE(total_frames, 1, ConfigError, "a clip needs at least one frame");
  MF_CHECK_EQ((segment_frames - 1) % temporal_stride, 0, ConfigError,
              "segment_frames must be " << temporal_stride << "n+1");
  MF_CHECK_GE(extension.context_latent_frames, 1, ConfigError,
              "context_latent_frames must be at least 1");
  MF_CHECK_LT(context, segment_frames, ConfigError, "the context must be shorter than a segment");

  std::vector<SegmentPlan> segments;
  SegmentPlan first;
  first.frames =
      std::min(segment_frames, round_up_to_segment_length(total_frames, temporal_stride));
  first.new_frames = std::min(first.frames, total_frames);
  segments.push_back(first);
  int64_t remaining = total_frames - first.new_frames;
  while (remaining > 0) {
    SegmentPlan next;
    next.index = static_cast<int64_t>(segments.size());
    next.context_frames = context;
    next.first_clip_frame = total_frames - remaining;
    next.frames =
        std::min(segment_frames, round_up_to_segment_length(remaining + context, temporal_stride));
    next.new_frames = std::min(next.frames - context, remaining);
    remaining -= next.new_frames;
    segments.push_back(next);
  }
  return segments;
}

}  // namespace motionfarm::coordinator
