// How a clip of any length is cut into model-sized segments (docs/manifest.md, "Long clips").
#pragma once

#include <cstdint>
#include <vector>

#include "coordinator/manifest.h"

namespace motionfarm::coordinator {

// The smallest frame count of the form temporal_stride × n + 1 that is >= `frames` (>= 1).
int64_t round_up_to_segment_length(int64_t frames, int64_t temporal_stride);

// Frames segment k+1 shares with segment k: the pixels of `context_latent_frames` latent frames
// (the first latent frame is one pixel frame, each further one temporal_stride frames).
int64_t context_pixel_frames(int64_t context_latent_frames, int64_t temporal_stride);

// Segments for a clip of `total_frames`. The first generates min(segment_frames, rounded total);
// each next one re-generates the previous one's last context frames and adds up to
// segment_frames - context new ones; the last is shortened to the fewest frames that finish the
// clip. The new_frames add up to total_frames.
// Preconditions (ConfigError): total_frames >= 1, segment_frames = temporal_stride × n + 1,
// context frames < segment_frames.
std::vector<SegmentPlan> plan_segments(int64_t total_frames, const ExtensionSettings& extension,
                                       int64_t temporal_stride);

}  // namespace motionfarm::coordinator
