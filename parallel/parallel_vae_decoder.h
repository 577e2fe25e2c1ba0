// The Wan VAE decode split over a group: each rank decodes one horizontal band of every frame,
// so the activations and the causal cache per rank fall about 1/P and no rank holds a whole
// frame's activations.
//
// It runs the plain model::WanVae (Wan2.1 and Wan2.2 layouts) on the rank's band of latent rows,
// with a model::VaeRowSplit in its feature cache that does the only non-local steps over the
// group: every 3x3 convolution swaps one halo row with each neighbouring band (row_bands.h), and
// the attention at the lowest resolution gathers the frame's keys/values. RMS norm is over the
// channels of one pixel and nearest upsampling doubles a band into the band of the doubled frame,
// so the rest needs no communication. The result equals the untiled single-rank decode to
// rounding (tested within 1e-5 on 2 and 4 ranks); VaeConfig::tiling is not used, the bands bound
// the memory instead.
//
// The rows are split at the latent resolution (uneven splits allowed, the first bands one row
// taller); every rank needs at least one latent row. Borrows the VAE and the communicator, which
// must outlive it; one stream per clip, like model::VaeStreamingDecoder.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "model/vae_causal_conv.h"
#include "model/wan_vae.h"
#include "parallel/communicator.h"
#include "parallel/row_bands.h"

namespace motionfarm::parallel {

// Where the decoded frames end up.
enum class DecodedFramesOn {
  // Whole frames on `root` only (the writer's rank); the other ranks return an undefined tensor.
  // The root then holds the chunk's whole frames once, as any single-rank writer would.
  kRoot,
  // Whole frames on every rank: P copies of the output, for callers that all need it.
  kEveryRank,
  // Each rank keeps its band [B, 3, F, band rows, W] (band_rows() says which rows): no gather,
  // for a writer that takes bands.
  kOwnBand,
};

struct ParallelVaeOptions {
  DecodedFramesOn frames_on = DecodedFramesOn::kRoot;
  int root = 0;  // rank in the group, for kRoot
};

class ParallelVaeDecoder {
 public:
  // Collective-free. `vae` must be loaded.
  ParallelVaeDecoder(const model::WanVae& vae, Communicator& group,
                     ParallelVaeOptions options = {});
  ~ParallelVaeDecoder();
  ParallelVaeDecoder(const ParallelVaeDecoder&) = delete;  // the cache borrows its halo exchange
  ParallelVaeDecoder& operator=(const ParallelVaeDecoder&) = delete;

  // Collective over `group`: every rank calls it with the same normalised latents
  // [B, z_dim, T, h, w] (T >= 1; B, h, w fixed by the stream's first call; h >= group size).
  // Returns what model::VaeStreamingDecoder::decode_next returns — frames [B, 3, F, h*s, w*s]
  // clamped to [-1, 1], float32, F = 1 + 4(T-1) on the first call and 4T after — where
  // `options.frames_on` puts them. Throws ConfigError on every rank when h < group size.
  at::Tensor decode_next(const at::Tensor& latent_chunk);
  // Collective: a whole clip (reset() then decode_next()).
  at::Tensor decode(const at::Tensor& latents);
  // Starts a new clip (rank-local).
  void reset();

  int64_t latent_frames_decoded() const { return latent_frames_; }
  // Bytes this rank's causal cache holds between calls: its band plus the halo rows.
  int64_t cache_bytes() const { return cache_.bytes(); }
  // This rank's rows [first, first + count) of the decoded frames; set by the first decode_next.
  int64_t band_first_row() const;
  int64_t band_row_count() const;

 private:
  class BandExchange;

  at::Tensor deliver(const at::Tensor& band_frames);

  const model::WanVae& vae_;
  Communicator& group_;
  ParallelVaeOptions options_;
  std::unique_ptr<BandExchange> exchange_;  // set once the stream's rows are known
  model::VaeFeatureCache cache_;
  std::optional<RowBands> latent_bands_;
  std::vector<int64_t> latent_shape_;  // [B, z, h, w] of the stream
  int64_t latent_frames_ = 0;
};

}  // namespace motionfarm::parallel
