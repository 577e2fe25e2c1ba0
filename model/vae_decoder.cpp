#include "model/vae_decoder.h"

#include <cmath>

#include "model/vae_wan22_blocks.h"

namespace motionfarm::model {
namespace {

// Widths from the latent side: [dim * mult[-1], dim * mult[-1], ..., dim * mult[0]].
std::vector<int64_t> decoder_dims(const VaeConfig& config) {
  std::vector<int64_t> dims{config.dec_dim * config.dim_mult.back()};
  for (auto it = config.dim_mult.rbegin(); it != config.dim_mult.rend(); ++it) {
    dims.push_back(config.dec_dim * *it);
  }
  return dims;
}

}  // namespace

VaeDecoder::VaeDecoder(const VaeConfig& config)
    : conv1_(config.z_dim, decoder_dims(config).front(), kVaeKernel3, kVaePad1),
      head_norm_(decoder_dims(config).back(), /*images=*/false),
      head_conv_(decoder_dims(config).back(), config.image_channels(), kVaeKernel3, kVaePad1) {
  const std::vector<int64_t> dims = decoder_dims(config);
  const std::size_t levels = config.dim_mult.size();
  middle_.push_back(std::make_unique<ResidualBlock>(dims[0], dims[0]));
  middle_.push_back(std::make_unique<AttentionBlock>(dims[0]));
  middle_.push_back(std::make_unique<ResidualBlock>(dims[0], dims[0]));

  double scale = 1.0 / static_cast<double>(int64_t{1} << (levels - 2));
  for (std::size_t i = 0; i < levels; ++i) {
    const bool last = i + 1 == levels;
    // The decoder runs the encoder's temporal flags in reverse.
    const bool temporal = !last && config.temporal_downsample[levels - 2 - i];
    if (config.architecture == VaeArchitecture::kWan22) {
      upsamples_.push_back(std::make_unique<UpResidualBlock>(
          dims[i], dims[i + 1], config.num_res_blocks + 1, temporal, !last));
      continue;
    }
    // Wan2.1's upsampling conv halves the width, so every level after the first starts at half.
    int64_t in_dim = i == 0 ? dims[i] : dims[i] / 2;
    for (int64_t j = 0; j < config.num_res_blocks + 1; ++j) {
      upsamples_.push_back(std::make_unique<ResidualBlock>(in_dim, dims[i + 1]));
      if (config.has_attention_at(scale)) {
        upsamples_.push_back(std::make_unique<AttentionBlock>(dims[i + 1]));
      }
      in_dim = dims[i + 1];
    }
    if (!last) {
      upsamples_.push_back(std::make_unique<Resample>(
          dims[i + 1], temporal ? ResampleMode::kUpsample3d : ResampleMode::kUpsample2d,
          dims[i + 1] / 2));
      scale *= 2.0;
    }
  }
}

void VaeDecoder::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  conv1_.visit_parameters(prefix + "conv1.", visit);
  for (std::size_t i = 0; i < middle_.size(); ++i) {
    middle_[i]->visit_parameters(prefix + "middle." + std::to_string(i) + ".", visit);
  }
  for (std::size_t i = 0; i < upsamples_.size(); ++i) {
    upsamples_[i]->visit_parameters(prefix + "upsamples." + std::to_string(i) + ".", visit);
  }
  head_norm_.visit_parameters(prefix + "head.0.", visit);
  head_conv_.visit_parameters(prefix + "head.2.", visit);
}

at::Tensor VaeDecoder::forward(const at::Tensor& z, VaeFeatureCache& cache,
                               bool first_chunk) const {
  at::Tensor y = conv1_.forward_cached(z, cache.next_slot(), cache.row_split());
  for (const auto& layer : middle_) y = layer->forward(y, cache, first_chunk);
  for (const auto& layer : upsamples_) y = layer->forward(y, cache, first_chunk);
  return head_conv_.forward_cached(at::silu(head_norm_.forward(y)), cache.next_slot(),
                                   cache.row_split());
}

}  // namespace motionfarm::model
