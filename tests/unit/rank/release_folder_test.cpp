// Loading Wan2.2 models from folders laid out as released (rank/model_files.h, model_bundle.h,
// release_inspection.h): generated tiny weights, sharded with their index and config.json, at the
// top (TI2V-5B layout) or in high_noise_model/ and low_noise_model/ (A14B layout). The bundle
// loads both experts or one at a time, a config.json of another model is refused naming the
// field, and the inspection names the preset, the experts, the shards and what is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include "core/config_paths.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "model/parameter_specs.h"
#include "rank/demo_model.h"
#include "rank/generated_weights.h"
#include "rank/i2v_pipeline.h"
#include "rank/model_bundle.h"
#include "rank/release_inspection.h"
#include "tests/unit/rank/rank_test_support.h"

namespace motionfarm::rank {
namespace {

namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// The tiny two-expert preset's release folder in `folder`, tokenizer included.
ModelFiles generate_a14b_release(const std::string& folder) {
  const ModelPreset preset = load_model_preset("tiny-i2v-a14b");
  GeneratedWeightsOptions options;
  options.seed = 3;
  options.dit_shards = 3;
  const ModelFiles files = write_generated_release(preset, folder, options);
  train_sentencepiece(core::find_config_file("demo/tokenizer_corpus.txt"), files.tokenizer,
                      preset.text_encoder.vocab);
  return files;
}

// The released presets put together: Wan2.2 A14B keeps the Wan2.1 VAE (16 latent channels) and has
// no image encoder; TI2V-5B takes the Wan2.2 VAE; the release file names follow.
TEST(ReleaseFolder, TheWan22PresetsAssembleWithTheirReleaseFiles) {
  const ModelPreset i2v = load_model_preset("wan2.2-i2v-a14b");
  EXPECT_EQ(i2v.vae.architecture, model::VaeArchitecture::kWan21);
  EXPECT_EQ(i2v.vae.z_dim, 16);
  EXPECT_FALSE(i2v.image_encoder.has_value());
  EXPECT_EQ(i2v.conditioning(), ConditioningKind::kMaskAndLatent);
  EXPECT_EQ(i2v.dit_count(), 2);
  EXPECT_EQ(i2v.dit_name(1), "low_noise");
  EXPECT_EQ(i2v.sampling.steps, 40);
  EXPECT_EQ(i2v.spatial_stride(), 16);
  const ModelFiles files = ModelFiles::in_folder("/models/Wan2.2-I2V-A14B", i2v);
  EXPECT_EQ(files.expert_dits,
            (std::vector<std::string>{
                "/models/Wan2.2-I2V-A14B/high_noise_model/diffusion_pytorch_model.safetensors",
                "/models/Wan2.2-I2V-A14B/low_noise_model/diffusion_pytorch_model.safetensors"}));
  EXPECT_EQ(files.vae, "/models/Wan2.2-I2V-A14B/Wan2.1_VAE.safetensors");
  EXPECT_TRUE(files.image_encoder.empty());

  const ModelPreset ti2v = load_model_preset("wan2.2-ti2v-5b");
  EXPECT_EQ(ti2v.vae.architecture, model::VaeArchitecture::kWan22);
  EXPECT_EQ(ti2v.dit_count(), 1);
  EXPECT_EQ(ModelFiles::in_folder("/m", ti2v).vae, "/m/Wan2.2_VAE.safetensors");

  // T2V-A14B is a DiT preset the image pipeline does not render; its parts still assemble.
  EXPECT_THROW(load_model_preset("wan2.2-t2v-a14b"), ConfigError);
  const ModelPreset t2v = load_model_preset_parts("wan2.2-t2v-a14b");
  EXPECT_EQ(t2v.vae.architecture, model::VaeArchitecture::kWan21);
  EXPECT_EQ(t2v.experts.size(), 2u);

  // A CLIP config for a preset without the CLIP branch is inconsistent.
  ModelPreset with_clip = i2v;
  with_clip.image_encoder = model::clip_vit_h_14_config();
  EXPECT_NE(message_of([&] {
              with_clip.validate();
            }).find("i2v (mask + first-frame latent, no CLIP) has no CLIP image branch"),
            std::string::npos);
}

TEST(ReleaseFolder, TheA14BLayoutIsFoundShardedWithConfigAndIndex) {
  motionfarm::testing::ScratchDir folder("a14b");
  generate_a14b_release(folder.path());
  const ModelPreset preset = load_model_preset("tiny-i2v-a14b");
  const ModelFiles files = ModelFiles::in_folder(folder.path(), preset);
  ASSERT_EQ(files.expert_dits.size(), 2u);
  EXPECT_TRUE(files.dit.empty());
  for (const char* expert : {"high_noise_model", "low_noise_model"}) {
    SCOPED_TRACE(expert);
    const fs::path dir = fs::path(folder.path()) / expert;
    EXPECT_TRUE(fs::is_regular_file(dir / "config.json"));
    EXPECT_TRUE(fs::is_regular_file(dir / "diffusion_pytorch_model.safetensors.index.json"));
    EXPECT_TRUE(fs::is_regular_file(dir / "diffusion_pytorch_model-00001-of-00003.safetensors"));
    EXPECT_TRUE(fs::is_regular_file(dir / "diffusion_pytorch_model-00003-of-00003.safetensors"));
  }
  EXPECT_EQ(files.expert_dits[0],
            folder.file("high_noise_model/diffusion_pytorch_model.safetensors.index.json"));
  EXPECT_TRUE(fs::is_regular_file(folder.file("Wan2.1_VAE.safetensors")));
  EXPECT_TRUE(fs::is_regular_file(folder.file("models_t5_umt5-xxl-enc-bf16.safetensors")));
  EXPECT_FALSE(
      fs::exists(folder.file("models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors")));
  EXPECT_NO_THROW(files.check(preset));
}

TEST(ReleaseFolder, BothExpertsLoadAndDiffer) {
  motionfarm::testing::ScratchDir folder("a14b");
  generate_a14b_release(folder.path());
  const ModelPreset preset = load_model_preset("tiny-i2v-a14b");
  EXPECT_EQ(preset.conditioning(), ConditioningKind::kMaskAndLatent);
  EXPECT_FALSE(preset.image_encoder.has_value());
  ModelBundle bundle = ModelBundle::load(preset, ModelFiles::in_folder(folder.path(), preset));
  EXPECT_EQ(bundle.dit_loads(), 2);
  EXPECT_EQ(bundle.image_encoder(), nullptr);
  ASSERT_TRUE(bundle.dit_loaded(0) && bundle.dit_loaded(1));
  const at::Tensor high = bundle.dit(0).weights().tensor("blocks.0.self_attn.q.weight");
  const at::Tensor low = bundle.dit(1).weights().tensor("blocks.0.self_attn.q.weight");
  EXPECT_FALSE(at::equal(high, low));
  EXPECT_EQ(bundle.dit(0).config().in_dim, 36);
}

TEST(ReleaseFolder, OnDemandResidencyHoldsOneExpertAtATime) {
  motionfarm::testing::ScratchDir folder("a14b");
  generate_a14b_release(folder.path());
  const ModelPreset preset = load_model_preset("tiny-i2v-a14b");
  BundleOptions options;
  options.experts = ExpertResidency::kOnDemand;
  ModelBundle bundle =
      ModelBundle::load(preset, ModelFiles::in_folder(folder.path(), preset), options);
  EXPECT_EQ(bundle.dit_loads(), 0);
  EXPECT_FALSE(bundle.dit_loaded(0));
  EXPECT_NE(message_of([&] { bundle.dit(0); })
                .find("DiT 'high_noise' of preset 'tiny-i2v-a14b' "
                      "is not loaded"),
            std::string::npos);
  bundle.load_expert(0);
  bundle.load_expert(0);  // already there: not read again
  EXPECT_EQ(bundle.dit_loads(), 1);
  bundle.release_expert(0);
  EXPECT_FALSE(bundle.dit_loaded(0));
  bundle.load_expert(1);
  EXPECT_TRUE(bundle.dit_loaded(1));
  EXPECT_EQ(bundle.dit_loads(), 2);
  // A single-DiT pipeline cannot run a two-expert preset.
  const LocalDenoiser denoiser(bundle.dit(1));
  EXPECT_NE(message_of([&] {
              I2VPipeline pipeline(bundle, denoiser);
            }).find("has 2 DiT(s) (one per expert): give one denoiser each"),
            std::string::npos);
}

TEST(ReleaseFolder, AMismatchingConfigJsonIsRefusedNamingTheField) {
  motionfarm::testing::ScratchDir folder("a14b");
  generate_a14b_release(folder.path());
  const std::string config = folder.file("low_noise_model/config.json");
  std::string text;
  {
    std::ifstream in(config);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string from = "\"num_layers\": 2";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "\"num_layers\": 3");
  std::ofstream(config) << text;

  const ModelPreset preset = load_model_preset("tiny-i2v-a14b");
  const std::string message =
      message_of([&] { ModelBundle::load(preset, ModelFiles::in_folder(folder.path(), preset)); });
  EXPECT_NE(message.find("'" + config +
                         "' says num_layers 3, but preset 'tiny-i2v-a14b' has num_layers 2"),
            std::string::npos)
      << message;
  EXPECT_THROW(ModelBundle::load(preset, ModelFiles::in_folder(folder.path(), preset)), ModelError);

  const ReleaseInspection report = inspect_release_folder(folder.path());
  EXPECT_EQ(report.preset, "tiny-i2v-a14b");
  EXPECT_FALSE(report.matched);
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("low_noise_model/: config.json says num_layers 3"),
            std::string::npos)
      << report.problems[0];
}

TEST(ReleaseFolder, InspectionNamesPresetExpertsShardsAndMissingFiles) {
  motionfarm::testing::ScratchDir folder("a14b");
  generate_a14b_release(folder.path());
  EXPECT_TRUE(looks_like_release_folder(folder.path()));
  ReleaseInspection report = inspect_release_folder(folder.path());
  EXPECT_EQ(report.preset, "tiny-i2v-a14b");
  EXPECT_TRUE(report.matched);
  EXPECT_EQ(report.expert_count, 2);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  ASSERT_EQ(report.dits.size(), 2u);
  EXPECT_EQ(report.dits[0].name, "high_noise");
  EXPECT_EQ(report.dits[0].folder, "high_noise_model");
  EXPECT_EQ(report.dits[0].shard_count, 3);
  EXPECT_EQ(report.dits[1].name, "low_noise");
  EXPECT_FALSE(report.dits[1].config_path.empty());
  EXPECT_EQ(report.dits[1].tensor_count,
            static_cast<int64_t>(
                model::wan_dit_parameter_specs(model::load_dit_preset("tiny-i2v-a14b")).size()));

  // A shard gone, the VAE only as the release's .pth: both named.
  fs::remove(folder.file("low_noise_model/diffusion_pytorch_model-00002-of-00003.safetensors"));
  fs::rename(folder.file("Wan2.1_VAE.safetensors"), folder.file("Wan2.1_VAE.pth"));
  report = inspect_release_folder(folder.path());
  EXPECT_EQ(report.preset, "tiny-i2v-a14b");
  EXPECT_FALSE(report.matched);
  std::string problems;
  for (const std::string& problem : report.problems) problems += problem + "\n";
  EXPECT_NE(problems.find("low_noise_model/: missing shard "
                          "diffusion_pytorch_model-00002-of-00003.safetensors"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("vae: Wan2.1_VAE.pth is not converted to .safetensors yet"),
            std::string::npos)
      << problems;
}

TEST(ReleaseFolder, TheTi2vLayoutHasItsShardedDitAtTheTop) {
  motionfarm::testing::ScratchDir folder("ti2v");
  const ModelPreset preset = load_model_preset("tiny-ti2v");
  EXPECT_EQ(preset.conditioning(), ConditioningKind::kFirstFrameLatent);
  const ModelFiles written = write_generated_release(preset, folder.path(), {});
  train_sentencepiece(core::find_config_file("demo/tokenizer_corpus.txt"), written.tokenizer,
                      preset.text_encoder.vocab);
  EXPECT_TRUE(fs::is_regular_file(folder.file("config.json")));
  EXPECT_TRUE(fs::is_regular_file(folder.file("Wan2.2_VAE.safetensors")));
  const ModelFiles files = ModelFiles::in_folder(folder.path(), preset);
  EXPECT_EQ(files.dit, folder.file("diffusion_pytorch_model.safetensors.index.json"));
  ModelBundle bundle = ModelBundle::load(preset, files);
  EXPECT_EQ(bundle.dit_loads(), 1);
  EXPECT_EQ(bundle.dit().config().model_type, "ti2v");

  const ReleaseInspection report = inspect_release_folder(folder.path());
  EXPECT_EQ(report.preset, "tiny-ti2v");
  EXPECT_TRUE(report.matched) << report.problems.front();
  ASSERT_EQ(report.dits.size(), 1u);
  EXPECT_EQ(report.dits[0].shard_count, 2);
  EXPECT_EQ(report.expert_count, 0);
}

}  // namespace
}  // namespace motionfarm::rank
