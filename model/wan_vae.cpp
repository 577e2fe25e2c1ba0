#include "model/wan_vae.h"

#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "model/vae_decoder.h"
#include "model/vae_encoder.h"
#include "model/vae_streaming_decoder.h"
#include "model/vae_wan22_blocks.h"

namespace motionfarm::model {
namespace {

// The reference encodes the first frame alone, then chunks of this many frames.
constexpr int64_t kEncodeChunkFrames = 4;

at::Tensor channel_table(const std::vector<double>& values, const VaeRuntime& runtime) {
  std::vector<float> as_float(values.begin(), values.end());
  return at::tensor(as_float, at::TensorOptions().dtype(at::kFloat))
      .reshape({1, static_cast<int64_t>(values.size()), 1, 1, 1})
      .to(runtime.device);
}

}  // namespace

WanVae::WanVae(VaeConfig config, VaeRuntime runtime)
    : config_(std::move(config)), runtime_(runtime) {
  config_.validate();
  encoder_ = std::make_unique<VaeEncoder>(config_);
  decoder_ = std::make_unique<VaeDecoder>(config_);
  const int64_t z = config_.z_dim;
  quant_conv_ = std::make_unique<CausalConv3d>(2 * z, 2 * z, std::array<int64_t, 3>{1, 1, 1},
                                               std::array<int64_t, 3>{0, 0, 0});
  post_quant_conv_ = std::make_unique<CausalConv3d>(z, z, std::array<int64_t, 3>{1, 1, 1},
                                                    std::array<int64_t, 3>{0, 0, 0});
  mean_ = channel_table(config_.latents_mean, runtime_);
  // 1 / std in float32 first, as the reference builds `scale = [mean, 1.0 / std]`.
  inv_std_ = 1.0 / channel_table(config_.latents_std, runtime_);
}

WanVae::~WanVae() = default;
WanVae::WanVae(WanVae&&) noexcept = default;
WanVae& WanVae::operator=(WanVae&&) noexcept = default;

void WanVae::visit_parameters(const VaeParameterVisitor& visit) {
  encoder_->visit_parameters("encoder.", visit);
  quant_conv_->visit_parameters("conv1.", visit);
  post_quant_conv_->visit_parameters("conv2.", visit);
  decoder_->visit_parameters("decoder.", visit);
}

void WanVae::check_loaded() const {
  MF_CHECK(loaded_, ModelError, "the VAE's weights are not loaded (call load_wan_vae_weights)");
}

at::Tensor WanVae::encode(const at::Tensor& video) const {
  check_loaded();
  MF_CHECK_EQ(video.dim(), 5, InputError, "VAE encode takes a video [B, 3, T, H, W]");
  MF_CHECK_EQ(video.size(1), 3, InputError, "VAE encode takes RGB frames");
  const int64_t frames = video.size(2);
  MF_CHECK(frames >= 1 && (frames - 1) % kEncodeChunkFrames == 0, InputError,
           "VAE encode needs 1 + 4n frames (got " << frames << ")");
  const int64_t s = config_.spatial_factor();
  MF_CHECK(video.size(3) % s == 0 && video.size(4) % s == 0, InputError,
           "VAE encode needs frame sides that are multiples of " << s << " (got " << video.size(3)
                                                                 << "x" << video.size(4) << ")");
  at::Tensor x = video.to(runtime_.device, runtime_.dtype);
  if (config_.architecture == VaeArchitecture::kWan22) x = patchify_2x2(x);

  VaeFeatureCache cache;
  std::vector<at::Tensor> latents;
  for (int64_t start = 0; start < frames;) {
    const int64_t length = start == 0 ? 1 : kEncodeChunkFrames;
    cache.begin_chunk();
    const at::Tensor features = encoder_->forward(x.narrow(2, start, length), cache, start == 0);
    // Mean and log-variance halves; only the mean is kept, normalised in float32.
    const at::Tensor mu = quant_conv_->forward(features).narrow(1, 0, config_.z_dim).to(at::kFloat);
    latents.push_back((mu - mean_) * inv_std_);
    start += length;
  }
  return latents.size() == 1 ? latents.front() : at::cat(latents, 2);
}

at::Tensor WanVae::decode_latent_frame(const at::Tensor& latent_frame, VaeFeatureCache& cache,
                                       bool first) const {
  check_loaded();
  MF_CHECK(
      latent_frame.dim() == 5 && latent_frame.size(1) == config_.z_dim && latent_frame.size(2) == 1,
      InputError,
      "VAE decode takes one latent frame [B, " << config_.z_dim << ", 1, h, w] at a time");
  // Undo the normalisation as the reference does: z / (1 / std) + mean.
  const at::Tensor z = latent_frame.to(runtime_.device, at::kFloat) / inv_std_ + mean_;
  const at::Tensor x = post_quant_conv_->forward(z.to(runtime_.dtype));
  cache.begin_chunk();
  at::Tensor frames = decoder_->forward(x, cache, first);
  if (config_.architecture == VaeArchitecture::kWan22) frames = unpatchify_2x2(frames);
  return frames.to(at::kFloat).clamp(-1.0, 1.0);
}

at::Tensor WanVae::decode(const at::Tensor& latents) const {
  VaeStreamingDecoder stream(*this);
  return stream.decode_next(latents);
}

std::vector<ParameterSpec> wan_vae_parameter_specs(const VaeConfig& config) {
  WanVae vae(config);
  std::vector<ParameterSpec> specs;
  vae.visit_parameters(
      [&](const std::string& name, const std::vector<int64_t>& shape, at::Tensor&) {
        specs.push_back(ParameterSpec{name, shape, false});
      });
  return specs;
}

}  // namespace motionfarm::model
