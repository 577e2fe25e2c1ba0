// VAE configuration, checkpoint names and the strict loader: the golden JSON reads, bad configs
// are refused naming the field, the presets have the released tensor shapes, every layout loads to
// the same model, and a checkpoint that does not fit is refused listing every offending tensor.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "core/error.h"
#include "model/vae_checkpoint_names.h"
#include "tests/unit/model/vae_test_support.h"

namespace motionfarm::model {
namespace {

using vae_testing::golden_path;
using vae_testing::golden_weights;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// ---- Config ---------------------------------------------------------------------------------

TEST(VaeConfig, ReadsTheGoldenJson) {
  const VaeConfig wan21 = load_vae_config(golden_path("wan21_vae_tiny.json"));
  EXPECT_EQ(wan21.architecture, VaeArchitecture::kWan21);
  EXPECT_EQ(wan21.dim, 16);
  EXPECT_EQ(wan21.dec_dim, 16);
  EXPECT_EQ(wan21.z_dim, 16);
  EXPECT_EQ(wan21.temporal_downsample, (std::vector<bool>{false, true, true}));
  EXPECT_DOUBLE_EQ(wan21.latents_std[15], 1.9160000085830688);
  EXPECT_EQ(wan21.spatial_factor(), 8);
  EXPECT_EQ(wan21.temporal_factor(), 4);

  const VaeConfig wan22 = load_vae_config(golden_path("wan22_vae_tiny.json"));
  EXPECT_EQ(wan22.architecture, VaeArchitecture::kWan22);
  EXPECT_EQ(wan22.dim, 3);
  EXPECT_EQ(wan22.dec_dim, 2);
  EXPECT_EQ(wan22.z_dim, 48);
  EXPECT_EQ(wan22.latents_mean.size(), 48u);
  EXPECT_EQ(wan22.spatial_factor(), 16);
}

TEST(VaeConfig, ValidateNamesTheBadField) {
  VaeConfig config = wan21_vae_preset();
  config.latents_mean.pop_back();
  EXPECT_NE(error_of([&] { config.validate(); }).find("latents_mean"), std::string::npos);

  config = wan21_vae_preset();
  config.latents_std[3] = 0.0;
  EXPECT_NE(error_of([&] { config.validate(); }).find("latents_std"), std::string::npos);

  config = wan21_vae_preset();
  config.temporal_downsample = {true, true};
  EXPECT_NE(error_of([&] { config.validate(); }).find("temperal_downsample"), std::string::npos);

  config = wan21_vae_preset();
  config.tiling = VaeTiling{true, 8, 8};
  EXPECT_NE(error_of([&] { config.validate(); }).find("overlap"), std::string::npos);

  config = wan22_vae_preset();
  config.attn_scales = {1.0};
  EXPECT_NE(error_of([&] { config.validate(); }).find("attn_scales"), std::string::npos);

  config = wan21_vae_preset();
  config.dec_dim = 128;
  EXPECT_NE(error_of([&] { config.validate(); }).find("dec_dim"), std::string::npos);
}

TEST(VaeConfig, ValidPresetsPass) {
  EXPECT_NO_THROW(wan21_vae_preset().validate());
  EXPECT_NO_THROW(wan22_vae_preset().validate());
}

TEST(VaeConfig, FileErrorsNameTheFileAndKey) {
  motionfarm::testing::ScratchDir dir("vae_config");
  std::ofstream(dir.file("bad.json")) << "{\"module\": \"wan_vae\", \"z_dimm\": 16}";
  const std::string unknown = error_of([&] { load_vae_config(dir.file("bad.json")); });
  EXPECT_NE(unknown.find("bad.json"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("z_dimm"), std::string::npos) << unknown;

  std::ofstream(dir.file("module.json")) << "{\"module\": \"wan_dit\"}";
  EXPECT_THROW(load_vae_config(dir.file("module.json")), ConfigError);
  std::ofstream(dir.file("short.json")) << "{\"module\": \"wan_vae\", \"z_dim\": 8}";
  EXPECT_THROW(load_vae_config(dir.file("short.json")), ConfigError);  // 16 means for 8 channels
  EXPECT_THROW(load_vae_config(dir.file("absent.json")), ConfigError);
}

// ---- Names and shapes ---------------------------------------------------------------------------

std::map<std::string, std::vector<int64_t>> spec_map(const VaeConfig& config) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& spec : wan_vae_parameter_specs(config)) out[spec.name] = spec.shape;
  return out;
}

TEST(VaeNames, PresetsHaveTheReleasedShapes) {
  // Wan2.1_VAE.pth: dims 96 * [1, 1, 2, 4, 4]; the decoder's first upsampling halves 384 -> 192.
  const auto wan21 = spec_map(wan21_vae_preset());
  EXPECT_EQ(wan21.at("encoder.conv1.weight"), (std::vector<int64_t>{96, 3, 3, 3, 3}));
  EXPECT_EQ(wan21.at("encoder.head.2.weight"), (std::vector<int64_t>{32, 384, 3, 3, 3}));
  EXPECT_EQ(wan21.at("conv1.weight"), (std::vector<int64_t>{32, 32, 1, 1, 1}));
  EXPECT_EQ(wan21.at("conv2.weight"), (std::vector<int64_t>{16, 16, 1, 1, 1}));
  EXPECT_EQ(wan21.at("decoder.conv1.weight"), (std::vector<int64_t>{384, 16, 3, 3, 3}));
  EXPECT_EQ(wan21.at("decoder.upsamples.3.resample.1.weight"),
            (std::vector<int64_t>{192, 384, 3, 3}));
  EXPECT_EQ(wan21.at("decoder.upsamples.3.time_conv.weight"),
            (std::vector<int64_t>{768, 384, 3, 1, 1}));
  EXPECT_EQ(wan21.at("decoder.upsamples.4.shortcut.weight"),
            (std::vector<int64_t>{384, 192, 1, 1, 1}));
  EXPECT_EQ(wan21.at("decoder.middle.1.to_qkv.weight"), (std::vector<int64_t>{1152, 384, 1, 1}));
  EXPECT_EQ(wan21.at("decoder.head.2.weight"), (std::vector<int64_t>{3, 96, 3, 3, 3}));
  EXPECT_EQ(wan21.at("encoder.downsamples.0.residual.0.gamma"),
            (std::vector<int64_t>{96, 1, 1, 1}));

  // Wan2.2_VAE.pth: encoder 160 wide over 12 patch channels, decoder 256 wide to 12 channels.
  const auto wan22 = spec_map(wan22_vae_preset());
  EXPECT_EQ(wan22.at("encoder.conv1.weight"), (std::vector<int64_t>{160, 12, 3, 3, 3}));
  EXPECT_EQ(wan22.at("conv1.weight"), (std::vector<int64_t>{96, 96, 1, 1, 1}));
  EXPECT_EQ(wan22.at("decoder.conv1.weight"), (std::vector<int64_t>{1024, 48, 3, 3, 3}));
  EXPECT_EQ(wan22.at("decoder.upsamples.0.upsamples.3.time_conv.weight"),
            (std::vector<int64_t>{2048, 1024, 3, 1, 1}));
  EXPECT_EQ(wan22.at("decoder.upsamples.3.upsamples.2.residual.6.weight"),
            (std::vector<int64_t>{256, 256, 3, 3, 3}));
  EXPECT_EQ(wan22.at("decoder.head.2.weight"), (std::vector<int64_t>{12, 256, 3, 3, 3}));
  EXPECT_EQ(wan22.count("decoder.upsamples.3.upsamples.3.resample.1.weight"), 0u);
}

TEST(VaeNames, SpecsListEveryGoldenTensor) {
  for (const std::string name : {"wan21_vae_tiny", "wan22_vae_tiny"}) {
    const auto specs = spec_map(load_vae_config(golden_path(name + ".json")));
    const auto weights = golden_weights(name);
    EXPECT_EQ(specs.size(), weights.size()) << name;
    for (const auto& [key, tensor] : weights) {
      ASSERT_TRUE(specs.count(key)) << name << ": " << key;
      EXPECT_EQ(at::IntArrayRef(specs.at(key)), tensor.sizes()) << key;
    }
  }
}

TEST(VaeNames, DiffusersNamesFollowTheConversionScript) {
  const VaeConfig config = wan21_vae_preset();
  const auto diffusers = [&](const std::string& native) {
    return vae_name_from_native(native, CheckpointLayout::kDiffusers, config);
  };
  EXPECT_EQ(diffusers("conv1.weight"), "quant_conv.weight");
  EXPECT_EQ(diffusers("conv2.bias"), "post_quant_conv.bias");
  EXPECT_EQ(diffusers("encoder.conv1.weight"), "encoder.conv_in.weight");
  EXPECT_EQ(diffusers("encoder.head.0.gamma"), "encoder.norm_out.gamma");
  EXPECT_EQ(diffusers("decoder.head.2.bias"), "decoder.conv_out.bias");
  EXPECT_EQ(diffusers("encoder.middle.2.residual.6.weight"),
            "encoder.mid_block.resnets.1.conv2.weight");
  EXPECT_EQ(diffusers("decoder.middle.1.to_qkv.bias"),
            "decoder.mid_block.attentions.0.to_qkv.bias");
  EXPECT_EQ(diffusers("encoder.downsamples.3.shortcut.weight"),
            "encoder.down_blocks.3.conv_shortcut.weight");
  EXPECT_EQ(diffusers("encoder.downsamples.5.time_conv.weight"),
            "encoder.down_blocks.5.time_conv.weight");
  EXPECT_EQ(diffusers("decoder.upsamples.6.residual.3.gamma"),
            "decoder.up_blocks.1.resnets.2.norm2.gamma");
  EXPECT_EQ(diffusers("decoder.upsamples.4.shortcut.bias"),
            "decoder.up_blocks.1.resnets.0.conv_shortcut.bias");
  EXPECT_EQ(diffusers("decoder.upsamples.11.resample.1.weight"),
            "decoder.up_blocks.2.upsamplers.0.resample.1.weight");
  EXPECT_EQ(diffusers("decoder.upsamples.3.time_conv.bias"),
            "decoder.up_blocks.0.upsamplers.0.time_conv.bias");
  EXPECT_THROW(
      vae_name_from_native("conv1.weight", CheckpointLayout::kDiffusers, wan22_vae_preset()),
      ModelError);
}

// ---- Loader ---------------------------------------------------------------------------------

at::Tensor decode_with(const std::map<std::string, at::Tensor>& weights, const std::string& name,
                       VaeLoadReport* report = nullptr) {
  WanVae vae(load_vae_config(golden_path(name + ".json")));
  const VaeLoadReport r = load_wan_vae_weights(vae, weights, name);
  if (report) *report = r;
  return vae.decode(vae_testing::golden_io(name, "z").narrow(2, 0, 2));
}

TEST(VaeLoader, ComfyUIAndDiffusersLayoutsLoadTheSameModel) {
  const std::string name = "wan21_vae_tiny";
  const auto native = golden_weights(name);
  VaeLoadReport report;
  const at::Tensor expected = decode_with(native, name, &report);
  EXPECT_EQ(report.layout, CheckpointLayout::kNative);
  EXPECT_EQ(report.tensors, static_cast<int64_t>(native.size()));

  // ComfyUI's all-in-one checkpoint: the VAE under "vae.", next to other models' tensors.
  std::map<std::string, at::Tensor> comfy;
  for (const auto& [key, tensor] : native) comfy.emplace("vae." + key, tensor);
  comfy.emplace("model.diffusion_model.head.modulation", at::zeros({1, 2, 4}));
  EXPECT_TRUE(at::equal(decode_with(comfy, name, &report), expected));
  EXPECT_EQ(report.prefix, "vae.");

  const VaeConfig config = load_vae_config(golden_path(name + ".json"));
  std::map<std::string, at::Tensor> diffusers;
  for (const auto& [key, tensor] : native) {
    diffusers.emplace(vae_name_from_native(key, CheckpointLayout::kDiffusers, config), tensor);
  }
  EXPECT_TRUE(at::equal(decode_with(diffusers, name, &report), expected));
  EXPECT_EQ(report.layout, CheckpointLayout::kDiffusers);
}

TEST(VaeLoader, ListsEveryMissingUnexpectedAndMisshapedTensor) {
  const std::string name = "wan21_vae_tiny";
  auto weights = golden_weights(name);
  weights.erase("decoder.middle.1.proj.bias");
  weights.erase("encoder.conv1.weight");
  weights["decoder.extra.weight"] = at::zeros({2});
  weights["conv2.weight"] = at::zeros({16, 16, 3, 1, 1});
  WanVae vae(load_vae_config(golden_path(name + ".json")));
  const std::string message = error_of([&] { load_wan_vae_weights(vae, weights, "tiny.pth"); });
  EXPECT_NE(message.find("tiny.pth"), std::string::npos) << message;
  EXPECT_NE(message.find("missing: decoder.middle.1.proj.bias"), std::string::npos) << message;
  EXPECT_NE(message.find("missing: encoder.conv1.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("unexpected: decoder.extra.weight"), std::string::npos) << message;
  EXPECT_NE(
      message.find("wrong shape: conv2.weight is [16, 16, 3, 1, 1], expected [16, 16, 1, 1, 1]"),
      std::string::npos)
      << message;
  EXPECT_THROW(load_wan_vae_weights(vae, weights, "tiny.pth"), ModelError);
  // A failed load leaves the model unusable rather than half loaded.
  EXPECT_FALSE(vae.loaded());
  EXPECT_THROW(vae.decode(at::zeros({1, 16, 1, 2, 2})), ModelError);
}

TEST(VaeLoader, RefusesTheOtherArchitecturesWeights) {
  WanVae vae(load_vae_config(golden_path("wan21_vae_tiny.json")));
  EXPECT_THROW(load_wan_vae_weights(vae, golden_weights("wan22_vae_tiny"), "wan22"), ModelError);
}

TEST(VaeEncode, RefusesFrameCountsThatAreNotOnePlusFourN) {
  const auto vae = vae_testing::golden_vae("wan21_vae_tiny");
  EXPECT_THROW(vae->encode(at::zeros({1, 3, 6, 16, 16})), InputError);
  EXPECT_THROW(vae->encode(at::zeros({1, 3, 5, 12, 16})), InputError);
  EXPECT_EQ(vae->encode(at::zeros({1, 3, 5, 16, 16})).sizes(),
            (std::vector<int64_t>{1, 16, 2, 2, 2}));
}

}  // namespace
}  // namespace motionfarm::model
