// The released DiT folders' config.json (model/release_dit_config.h): the published files read
// and fit their presets; a file of another model is refused naming the field, the file and both
// values.
#include "model/release_dit_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::model {
namespace {

// Wan-AI/Wan2.2-TI2V-5B's config.json as published (diffusers' ConfigMixin, keys sorted; WanModel's
// ignore_for_config leaves out patch_size, cross_attn_norm, qk_norm, text_dim and window_size:
// wan/modules/model.py in Wan-Video/Wan2.2).
constexpr char kTi2v5bConfig[] = R"({
  "_class_name": "WanModel",
  "_diffusers_version": "0.33.0",
  "dim": 3072,
  "eps": 1e-06,
  "ffn_dim": 14336,
  "freq_dim": 256,
  "in_dim": 48,
  "model_type": "ti2v",
  "num_heads": 24,
  "num_layers": 30,
  "out_dim": 48,
  "text_len": 512
})";

// The same keys for each Wan2.2-I2V-A14B expert (high_noise_model/, low_noise_model/): the
// wan_i2v_A14B.py architecture with in_dim 36.
constexpr char kI2vA14bConfig[] = R"({
  "_class_name": "WanModel",
  "_diffusers_version": "0.33.0",
  "dim": 5120,
  "eps": 1e-06,
  "ffn_dim": 13824,
  "freq_dim": 256,
  "in_dim": 36,
  "model_type": "i2v",
  "num_heads": 40,
  "num_layers": 40,
  "out_dim": 16,
  "text_len": 512
})";

std::string write(const motionfarm::testing::ScratchDir& dir, const std::string& name,
                  const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

TEST(ReleaseDiTConfig, ThePublishedFilesFitTheirPresets) {
  motionfarm::testing::ScratchDir dir("release-config");
  const ReleaseDiTConfig ti2v = read_release_dit_config(write(dir, "ti2v.json", kTi2v5bConfig));
  EXPECT_EQ(ti2v.class_name, "WanModel");
  EXPECT_EQ(ti2v.fields.size(), 10u);
  EXPECT_TRUE(ti2v.ignored.empty());
  EXPECT_TRUE(release_config_mismatches(ti2v, load_dit_preset("wan2.2-ti2v-5b")).empty());
  EXPECT_NO_THROW(check_release_dit_config(ti2v, load_dit_preset("wan2.2-ti2v-5b"), "x"));

  const ReleaseDiTConfig i2v = read_release_dit_config(write(dir, "i2v.json", kI2vA14bConfig));
  EXPECT_TRUE(release_config_mismatches(i2v, load_dit_preset("wan2.2-i2v-a14b")).empty());
  // Wan2.1's i2v 14B has the same keys and values: the file does not tell the CLIP branch, the
  // tensors do (checked by the loader).
  EXPECT_TRUE(release_config_mismatches(i2v, load_dit_preset("wan2.1-i2v-14b")).empty());
  // The T2V-A14B experts differ in in_dim and model_type.
  const std::vector<ConfigMismatch> t2v =
      release_config_mismatches(i2v, load_dit_preset("wan2.2-t2v-a14b"));
  ASSERT_EQ(t2v.size(), 2u);
  EXPECT_EQ(t2v[0].field, "in_dim");
  EXPECT_EQ(t2v[1].field, "model_type");
}

TEST(ReleaseDiTConfig, AMismatchIsRefusedNamingFieldFileAndValues) {
  motionfarm::testing::ScratchDir dir("release-config");
  const std::string path = write(dir, "config.json", kTi2v5bConfig);
  try {
    check_release_dit_config(read_release_dit_config(path), load_dit_preset("wan2.2-i2v-a14b"),
                             "wan2.2-i2v-a14b");
    FAIL() << "a TI2V-5B config passed for the I2V-A14B preset";
  } catch (const ModelError& error) {
    const std::string message = error.what();
    EXPECT_NE(
        message.find("'" + path + "' says dim 3072, but preset 'wan2.2-i2v-a14b' has dim 5120"),
        std::string::npos)
        << message;
    EXPECT_NE(message.find("num_layers 30 vs 40"), std::string::npos) << message;
  }
}

TEST(ReleaseDiTConfig, WrittenConfigsReadBackAsTheirPreset) {
  motionfarm::testing::ScratchDir dir("release-config");
  for (const char* name :
       {"wan2.2-i2v-a14b", "wan2.2-t2v-a14b", "wan2.2-ti2v-5b", "tiny-i2v-a14b"}) {
    const WanDiTConfig preset = load_dit_preset(name);
    const ReleaseDiTConfig back = read_release_dit_config(
        write(dir, std::string(name) + ".json", release_dit_config_json(preset)));
    EXPECT_TRUE(release_config_mismatches(back, preset).empty()) << name;
    EXPECT_EQ(back.fields.size(), 10u) << name;
  }
}

TEST(ReleaseDiTConfig, ABrokenOrForeignFileIsHandled) {
  motionfarm::testing::ScratchDir dir("release-config");
  EXPECT_THROW(read_release_dit_config(dir.file("absent.json")), InputError);
  EXPECT_THROW(read_release_dit_config(write(dir, "list.json", "[1, 2]")), InputError);
  EXPECT_THROW(read_release_dit_config(write(dir, "bad.json", R"({"dim": "wide"})")), InputError);
  // A Diffusers transformer config describes the model with other keys: not compared.
  const ReleaseDiTConfig diffusers = read_release_dit_config(write(
      dir, "diffusers.json", R"({"_class_name": "WanTransformer3DModel", "num_layers": 30})"));
  EXPECT_TRUE(release_config_mismatches(diffusers, load_dit_preset("wan2.2-i2v-a14b")).empty());
  EXPECT_EQ(release_config_path(dir.file("diffusion_pytorch_model.safetensors.index.json")),
            dir.file("config.json"));
  EXPECT_EQ(release_config_path(dir.path()), dir.file("config.json"));
}

}  // namespace
}  // namespace motionfarm::model
