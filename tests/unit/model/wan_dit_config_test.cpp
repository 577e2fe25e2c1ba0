#include "model/wan_dit_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "tests/support/test_paths.h"
#include "tests/unit/model/golden_dit.h"

namespace motionfarm::model {
namespace {

TEST(WanDiTConfig, PresetsLoadWithThePublicNumbers) {
  const WanDiTConfig small = load_dit_preset("wan2.1-t2v-1.3b");
  EXPECT_EQ(small.model_type, "t2v");
  EXPECT_EQ(small.family, "wan2.1");
  EXPECT_EQ(small.dim, 1536);
  EXPECT_EQ(small.ffn_dim, 8960);
  EXPECT_EQ(small.num_heads, 12);
  EXPECT_EQ(small.num_layers, 30);
  EXPECT_EQ(small.head_dim(), 128);
  EXPECT_EQ(small.text_len, 512);
  EXPECT_EQ(small.text_dim, 4096);
  EXPECT_DOUBLE_EQ(small.eps, 1e-6);

  const WanDiTConfig i2v = load_dit_preset("wan2.1-i2v-14b");
  EXPECT_TRUE(i2v.has_image_branch());
  EXPECT_EQ(i2v.in_dim, 36);
  EXPECT_EQ(i2v.out_dim, 16);
  EXPECT_EQ(i2v.dim, 5120);
  EXPECT_EQ(i2v.num_heads, 40);

  const WanDiTConfig ti2v = load_dit_preset("wan2.2-ti2v-5b");
  EXPECT_FALSE(ti2v.has_image_branch());
  EXPECT_EQ(ti2v.in_dim, 48);
  EXPECT_EQ(ti2v.out_dim, 48);
  EXPECT_EQ(ti2v.dim, 3072);
  EXPECT_EQ(ti2v.ffn_dim, 14336);

  for (const char* name : {"wan2.1-t2v-14b", "tiny-t2v", "tiny-i2v", "tiny-ti2v"}) {
    EXPECT_NO_THROW(load_dit_preset(name)) << name;
  }
}

TEST(WanDiTConfig, GoldenJsonReadsWithItsExtraKeys) {
  const WanDiTConfig config = testing::golden_config("wan22_ti2v_tiny");
  EXPECT_EQ(config.model_type, "ti2v");
  EXPECT_EQ(config.dim, 40);
  EXPECT_EQ(config.head_dim(), 20);
  EXPECT_EQ(config.patch_size, (std::array<int64_t, 3>{1, 2, 2}));
}

TEST(WanDiTConfig, UnknownKeyIsRejectedWithItsLocation) {
  motionfarm::testing::ScratchDir dir("dit-config");
  const std::string path = dir.file("bad.yaml");
  std::ofstream(path) << "model_type: t2v\nnum_head: 4\n";
  try {
    load_wan_dit_config_file(path);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path + ":2:1"), std::string::npos) << message;
    EXPECT_NE(message.find("'num_head'"), std::string::npos) << message;
  }
}

TEST(WanDiTConfig, ValidateNamesTheFieldThatCannotWork) {
  WanDiTConfig config = load_dit_preset("tiny-t2v");
  config.num_heads = 3;  // 128 is not divisible by 3
  EXPECT_THROW(config.validate(), ConfigError);
  config = load_dit_preset("tiny-t2v");
  config.model_type = "s2v";
  EXPECT_THROW(config.validate(), ConfigError);
  config = load_dit_preset("tiny-i2v");
  config.in_dim = 16;  // i2v concatenates y, so in_dim must exceed out_dim
  EXPECT_THROW(config.validate(), ConfigError);

  motionfarm::testing::ScratchDir dir("dit-config");
  std::ofstream(dir.file("window.yaml")) << "window_size: [16, 16]\n";
  EXPECT_THROW(load_wan_dit_config_file(dir.file("window.yaml")), ConfigError);
  std::ofstream(dir.file("type.yaml")) << "dim: wide\n";
  EXPECT_THROW(load_wan_dit_config_file(dir.file("type.yaml")), ConfigError);
  EXPECT_THROW(load_wan_dit_config_file(dir.file("absent.yaml")), ConfigError);
  EXPECT_THROW(load_dit_preset("no-such-model"), ConfigError);
}

}  // namespace
}  // namespace motionfarm::model
