#include "rank/render_request.h"

#include <filesystem>

#include "core/check.h"
#include "model/flow_schedule.h"
#include "model/guidance.h"

namespace motionfarm::rank {

void RenderRequest::validate() const {
  MF_CHECK(!image.empty(), InputError, "no input image: pass --image FILE");
  // Checked here, before any model loads; decoding checks the contents.
  MF_CHECK(std::filesystem::is_regular_file(image), InputError,
           "input image '" << image << "' (--image) does not exist");
  MF_CHECK(last_image.empty() || std::filesystem::is_regular_file(last_image), InputError,
           "last image '" << last_image << "' (--last-image) does not exist");
  MF_CHECK_GT(frames, 0, ConfigError, "--frames must be positive");
  if (size) {
    MF_CHECK(size->width > 0 && size->height > 0, ConfigError,
             "--size must be positive, got " << size->width << "x" << size->height);
  } else {
    MF_CHECK_GT(area, 0, ConfigError, "--area must be a positive pixel count");
  }
  model::FlowScheduleConfig schedule;
  schedule.num_steps = steps;
  schedule.shift = shift;
  schedule.validate();
  if (guidance) model::validate_guidance_scale(*guidance);
}

io::FrameSize resolve_frame_size(const RenderRequest& request, int64_t image_width,
                                 int64_t image_height, int64_t stride) {
  // A given size is checked against the preset by latent_shape_for, whose message names the
  // nearest valid size.
  if (request.size) return *request.size;
  return io::nearest_valid_size(
      request.area, static_cast<double>(image_width) / static_cast<double>(image_height), stride);
}

}  // namespace motionfarm::rank
