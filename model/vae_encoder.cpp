#include "model/vae_encoder.h"

#include <cmath>

#include "model/vae_wan22_blocks.h"

namespace motionfarm::model {
namespace {

std::vector<int64_t> encoder_dims(const VaeConfig& config) {
  std::vector<int64_t> dims{config.dim};
  for (int64_t m : config.dim_mult) dims.push_back(config.dim * m);
  return dims;
}

}  // namespace

VaeEncoder::VaeEncoder(const VaeConfig& config)
    : conv1_(config.image_channels(), config.dim, kVaeKernel3, kVaePad1),
      head_norm_(encoder_dims(config).back(), /*images=*/false),
      head_conv_(encoder_dims(config).back(), 2 * config.z_dim, kVaeKernel3, kVaePad1) {
  const std::vector<int64_t> dims = encoder_dims(config);
  const std::size_t levels = config.dim_mult.size();
  double scale = 1.0;
  for (std::size_t i = 0; i < levels; ++i) {
    const bool last = i + 1 == levels;
    const bool temporal = !last && config.temporal_downsample[i];
    if (config.architecture == VaeArchitecture::kWan22) {
      downsamples_.push_back(std::make_unique<DownResidualBlock>(
          dims[i], dims[i + 1], config.num_res_blocks, temporal, !last));
      continue;
    }
    int64_t in_dim = dims[i];
    for (int64_t j = 0; j < config.num_res_blocks; ++j) {
      downsamples_.push_back(std::make_unique<ResidualBlock>(in_dim, dims[i + 1]));
      if (config.has_attention_at(scale)) {
        downsamples_.push_back(std::make_unique<AttentionBlock>(dims[i + 1]));
      }
      in_dim = dims[i + 1];
    }
    if (!last) {
      downsamples_.push_back(std::make_unique<Resample>(
          dims[i + 1], temporal ? ResampleMode::kDownsample3d : ResampleMode::kDownsample2d,
          dims[i + 1]));
      scale /= 2.0;
    }
  }
  const int64_t out_dim = dims.back();
  middle_.push_back(std::make_unique<ResidualBlock>(out_dim, out_dim));
  middle_.push_back(std::make_unique<AttentionBlock>(out_dim));
  middle_.push_back(std::make_unique<ResidualBlock>(out_dim, out_dim));
}

void VaeEncoder::visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit) {
  conv1_.visit_parameters(prefix + "conv1.", visit);
  for (std::size_t i = 0; i < downsamples_.size(); ++i) {
    downsamples_[i]->visit_parameters(prefix + "downsamples." + std::to_string(i) + ".", visit);
  }
  for (std::size_t i = 0; i < middle_.size(); ++i) {
    middle_[i]->visit_parameters(prefix + "middle." + std::to_string(i) + ".", visit);
  }
  // head: RMS_norm, SiLU, CausalConv3d
  head_norm_.visit_parameters(prefix + "head.0.", visit);
  head_conv_.visit_parameters(prefix + "head.2.", visit);
}

at::Tensor VaeEncoder::forward(const at::Tensor& x, VaeFeatureCache& cache,
                               bool first_chunk) const {
  at::Tensor y = conv1_.forward_cached(x, cache.next_slot());
  for (const auto& layer : downsamples_) y = layer->forward(y, cache, first_chunk);
  for (const auto& layer : middle_) y = layer->forward(y, cache, first_chunk);
  return head_conv_.forward_cached(at::silu(head_norm_.forward(y)), cache.next_slot());
}

}  // namespace motionfarm::model
