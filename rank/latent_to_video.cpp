#include "rank/latent_to_video.h"

#include <algorithm>
#include <string>

#include "core/check.h"
#include "model/vae_streaming_decoder.h"
#include "rank/finite_check.h"
#include "rank/resource_usage.h"

namespace motionfarm::rank {

DecodeReport decode_into_writer(const model::WanVae& vae, const at::Tensor& latents,
                                io::VideoWriter& writer, int64_t latent_frames_per_chunk) {
  MF_CHECK(latents.dim() == 5 && latents.size(0) == 1, ModelError,
           "decode takes one latent clip [1, z, T, h, w], got " << latents.sizes());
  MF_CHECK_GT(latent_frames_per_chunk, 0, ConfigError, "decode chunks must hold latent frames");
  model::VaeStreamingDecoder stream(vae);
  DecodeReport report;
  const int64_t total = latents.size(2);
  for (int64_t start = 0; start < total; start += latent_frames_per_chunk) {
    const int64_t count = std::min(latent_frames_per_chunk, total - start);
    Stopwatch clock;
    // [1, 3, F, H, W] -> [F, 3, H, W], the writer's layout.
    const at::Tensor frames =
        stream.decode_next(latents.narrow(2, start, count))[0].transpose(0, 1);
    check_finite(frames, "VAE decode of latent frames " + std::to_string(start + 1) + "-" +
                             std::to_string(start + count) + " of " + std::to_string(total));
    report.decode_seconds += clock.lap();
    writer.write_frames(frames);
    report.encode_seconds += clock.lap();
    report.frames += frames.size(0);
  }
  return report;
}

}  // namespace motionfarm::rank
