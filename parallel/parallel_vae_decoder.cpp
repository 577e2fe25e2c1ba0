#include "parallel/parallel_vae_decoder.h"

#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "model/vae_row_split.h"

namespace motionfarm::parallel {

// The decoder's row-split hook over the group. Rows run along dim 3 of the decoder's
// [B, C, T, rows, W] activations; the resolution at a call is this band's rows over its latent
// rows, the same on every rank because every rank is at the same layer.
class ParallelVaeDecoder::BandExchange final : public model::VaeRowSplit {
 public:
  BandExchange(Communicator& group, RowBands latent_bands)
      : group_(group), latent_bands_(std::move(latent_bands)) {}

  at::Tensor with_row_halo(const at::Tensor& band, int64_t rows) override {
    return exchange_row_halo(band, 3, rows, group_);
  }

  at::Tensor gather_rows(const at::Tensor& band, int64_t dim) override {
    const int64_t latent_rows = latent_bands_.rows_in(group_.rank());
    MF_CHECK_EQ(band.size(dim) % latent_rows, 0, ModelError,
                "a band's rows must be a multiple of its latent rows");
    return gather_row_bands(band, dim, latent_bands_.scaled(band.size(dim) / latent_rows), group_);
  }

 private:
  Communicator& group_;
  RowBands latent_bands_;
};

ParallelVaeDecoder::ParallelVaeDecoder(const model::WanVae& vae, Communicator& group,
                                       ParallelVaeOptions options)
    : vae_(vae), group_(group), options_(options) {
  MF_CHECK(vae.loaded(), ModelError,
           "the VAE's weights are not loaded (call load_wan_vae_weights)");
  MF_CHECK(
      options_.root >= 0 && options_.root < group.size(), ConfigError,
      "the decode root " << options_.root << " is not a rank of the group of " << group.size());
}

ParallelVaeDecoder::~ParallelVaeDecoder() = default;

void ParallelVaeDecoder::reset() {
  cache_.clear();
  cache_.set_row_split(nullptr);
  exchange_.reset();
  latent_bands_.reset();
  latent_shape_.clear();
  latent_frames_ = 0;
}

int64_t ParallelVaeDecoder::band_first_row() const {
  MF_CHECK(latent_bands_.has_value(), Error, "the band is known after the first decode_next");
  return latent_bands_->begin(group_.rank()) * vae_.config().spatial_factor();
}

int64_t ParallelVaeDecoder::band_row_count() const {
  MF_CHECK(latent_bands_.has_value(), Error, "the band is known after the first decode_next");
  return latent_bands_->rows_in(group_.rank()) * vae_.config().spatial_factor();
}

at::Tensor ParallelVaeDecoder::decode(const at::Tensor& latents) {
  reset();
  return decode_next(latents);
}

at::Tensor ParallelVaeDecoder::decode_next(const at::Tensor& latent_chunk) {
  const model::VaeConfig& config = vae_.config();
  MF_CHECK(
      latent_chunk.dim() == 5 && latent_chunk.size(1) == config.z_dim && latent_chunk.size(2) >= 1,
      InputError, "VAE decode takes latents [B, " << config.z_dim << ", T, h, w]");
  const std::vector<int64_t> shape{latent_chunk.size(0), latent_chunk.size(1), latent_chunk.size(3),
                                   latent_chunk.size(4)};
  if (latent_frames_ == 0) {
    // Every rank has the same latents, so every rank throws here or none does.
    latent_bands_ = RowBands::split(shape[2], group_.size());
    latent_shape_ = shape;
    // One rank decodes the whole frame: no hook, exactly the single-rank stream.
    if (group_.size() > 1) {
      exchange_ = std::make_unique<BandExchange>(group_, *latent_bands_);
      cache_.set_row_split(exchange_.get());
    }
  } else {
    MF_CHECK(shape == latent_shape_, InputError,
             "a VAE stream's latent chunks must keep the batch and frame size of its first chunk");
  }
  const int rank = group_.rank();
  // [B, z, T, band rows, w]: the latents are tiny next to the frames, so every rank gets them all.
  const at::Tensor band =
      latent_chunk.narrow(3, latent_bands_->begin(rank), latent_bands_->rows_in(rank));
  std::vector<at::Tensor> frames;
  for (int64_t t = 0; t < band.size(2); ++t) {
    const bool first = latent_frames_ == 0;
    ++latent_frames_;
    // [B, 3, F, band rows * s, w * s], delivered per latent frame so no rank keeps more than one
    // latent frame's band beyond what `frames_on` asks for.
    frames.push_back(deliver(vae_.decode_latent_frame(band.narrow(2, t, 1), cache_, first)));
  }
  if (!frames.front().defined()) return at::Tensor();  // kRoot, not the root
  return frames.size() == 1 ? frames.front() : at::cat(frames, 2);
}

at::Tensor ParallelVaeDecoder::deliver(const at::Tensor& band_frames) {
  const RowBands frame_bands = latent_bands_->scaled(vae_.config().spatial_factor());
  switch (options_.frames_on) {
    case DecodedFramesOn::kOwnBand:
      return band_frames;
    case DecodedFramesOn::kEveryRank:
      return gather_row_bands(band_frames, 3, frame_bands, group_);
    case DecodedFramesOn::kRoot:
      return gather_row_bands_to_root(band_frames, 3, frame_bands, options_.root, group_);
  }
  throw Error("unknown DecodedFramesOn");
}

}  // namespace motionfarm::parallel
