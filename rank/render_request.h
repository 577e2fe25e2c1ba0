// One render, as `motionfarm render` and the farm's assets describe it: the image(s), the text,
// the noise key, the clip's length and size, the sampling settings and the deliverable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/image_fit.h"
#include "io/video_writer_options.h"
#include "model/sampler.h"

namespace motionfarm::rank {

struct RenderRequest {
  std::string image;       // the first frame
  std::string last_image;  // flf2v presets only: the last frame
  std::string prompt;
  // Encoded like the prompt for the unconditional branch; empty is the empty prompt (EOS only).
  std::string negative_prompt;

  // The noise is seeded_normal keyed by (seed, asset id, segment 0): the same key gives the same
  // clip on any machine.
  uint64_t seed = 0;
  std::string asset_id = "render";

  int64_t frames = 81;                // 1 + 4n
  std::optional<io::FrameSize> size;  // when unset: about `area` pixels at the image's aspect
  int64_t area = int64_t{480} * 832;  // pixels, for the size chosen from the image
  io::FitMode fit = io::FitMode::Cover;

  int64_t steps = 40;
  double shift = 5.0;
  // One scale for every step. Unset: each expert's scale from the preset, else the preset's
  // sampling.guidance, else kDefaultGuidance (rank/i2v_pipeline.h, guidance_per_dit).
  std::optional<double> guidance;
  model::SamplerKind sampler = model::SamplerKind::kUniPC;

  std::string output_path;
  // Format, frame rate, quality and metadata; the size is filled in from the render, and the
  // title, prompt, seed and model metadata when left empty.
  io::VideoWriterOptions output;

  // Throws ConfigError naming the option for a value that cannot work (InputError when an image
  // is not given or does not exist). The output path is checked by the render, which needs it.
  void validate() const;
};

// The frame size of a render: `request.size` when given, else nearest_valid_size(area, the image's
// aspect, stride). A given size is returned as is (latent_shape_for checks it).
io::FrameSize resolve_frame_size(const RenderRequest& request, int64_t image_width,
                                 int64_t image_height, int64_t stride);

}  // namespace motionfarm::rank
