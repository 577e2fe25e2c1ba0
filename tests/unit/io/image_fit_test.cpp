// Fitting images to the model's resolution: the named modes crop, letterbox or stretch as stated,
// target sizes must divide by the spatial stride, and nearest_valid_size picks the expected sizes.
#include "io/image_fit.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <string>

#include "core/error.h"

namespace motionfarm::io {
namespace {

// [3, H, W]: every channel equals the column index scaled into [-1, 1] over `width` columns.
at::Tensor column_ramp(int64_t height, int64_t width) {
  return at::linspace(-1.0, 1.0, width).view({1, 1, width}).expand({3, height, width}).contiguous();
}

TEST(FitMode, ParsesNamesAndListsThemOnError) {
  EXPECT_EQ(parse_fit_mode("cover"), FitMode::Cover);
  EXPECT_EQ(parse_fit_mode("contain"), FitMode::Contain);
  EXPECT_EQ(parse_fit_mode("stretch"), FitMode::Stretch);
  EXPECT_STREQ(to_string(FitMode::Contain), "contain");
  try {
    parse_fit_mode("fill");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("valid modes: cover, contain, stretch"),
              std::string::npos);
  }
}

TEST(FitSizes, TargetsMustBeMultiplesOfTheStride) {
  EXPECT_NO_THROW(check_frame_size({832, 480}, 16));
  try {
    check_frame_size({830, 480}, 16);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("830x480 is not a multiple of the model's spatial stride 16"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(fit_image(column_ramp(10, 10), {100, 64}), ConfigError);
}

TEST(FitSizes, NearestValidSizeForAreaAndAspect) {
  const auto expect_size = [](FrameSize size, int64_t width, int64_t height) {
    EXPECT_EQ(size.width, width);
    EXPECT_EQ(size.height, height);
  };
  expect_size(nearest_valid_size(832 * 480, 832.0 / 480.0, 16), 832, 480);  // Wan 480p
  expect_size(nearest_valid_size(1280 * 720, 16.0 / 9.0, 16), 1280, 720);   // Wan 720p
  expect_size(nearest_valid_size(480 * 832, 480.0 / 832.0, 16), 480, 832);  // portrait
  expect_size(nearest_valid_size(500000, 1.0, 16), 704, 704);  // 704² is closer to 500k than 720²
  // A 4:3 photo at the 480p budget: multiples of 16 and within one stride of the ideal.
  const FrameSize photo = nearest_valid_size(832 * 480, 4.0 / 3.0, 16);
  EXPECT_EQ(photo.width % 16, 0);
  EXPECT_EQ(photo.height % 16, 0);
  EXPECT_NEAR(double(photo.width) / photo.height, 4.0 / 3.0, 0.05);
  EXPECT_NEAR(double(photo.width * photo.height) / (832 * 480), 1.0, 0.05);
  EXPECT_THROW(nearest_valid_size(0, 1.0, 16), ConfigError);
  EXPECT_THROW(nearest_valid_size(1000, -1.0, 16), ConfigError);
}

TEST(FitImage, CoverScalesAndCropsTheCentre) {
  // 200x100 ramp -> 64x64: the centred 100x100 crop keeps source columns 50..149.
  const at::Tensor fitted = fit_image(column_ramp(100, 200), {64, 64});
  ASSERT_EQ(fitted.sizes(), (at::IntArrayRef{3, 64, 64}));
  const double step = 2.0 / 199.0;
  EXPECT_NEAR(fitted[0][32][0].item<float>(), -1.0 + 50.5 * step, 2 * step);
  EXPECT_NEAR(fitted[0][32][63].item<float>(), -1.0 + 148.5 * step, 2 * step);
  EXPECT_NEAR(fitted.mean().item<float>(), 0.0, 0.02);  // symmetric crop
}

TEST(FitImage, ContainLetterboxesWithTheBackground) {
  FitOptions options;
  options.mode = FitMode::Contain;
  options.letterbox = {0.0f, 0.5f, 1.0f};
  // 200x100 -> 64x64: the image becomes 64x32 in rows 16..47; the bars are the letterbox colour.
  const at::Tensor fitted = fit_image(at::full({3, 100, 200}, 0.25f), {64, 64}, options);
  ASSERT_EQ(fitted.sizes(), (at::IntArrayRef{3, 64, 64}));
  for (int64_t row : {0, 15, 48, 63}) {
    EXPECT_FLOAT_EQ(fitted[0][row][10].item<float>(), -1.0f) << row;
    EXPECT_FLOAT_EQ(fitted[1][row][10].item<float>(), 0.0f) << row;
    EXPECT_FLOAT_EQ(fitted[2][row][10].item<float>(), 1.0f) << row;
  }
  EXPECT_NEAR(fitted.narrow(1, 16, 32).sub(0.25).abs().max().item<float>(), 0.0, 1e-5);
}

TEST(FitImage, StretchKeepsEveryColumnAndChangesTheAspect) {
  FitOptions options;
  options.mode = FitMode::Stretch;
  const at::Tensor fitted = fit_image(column_ramp(100, 200), {64, 128}, options);
  ASSERT_EQ(fitted.sizes(), (at::IntArrayRef{3, 128, 64}));
  // Both ends of the ramp survive: nothing was cropped.
  EXPECT_LT(fitted[0][64][0].item<float>(), -0.95);
  EXPECT_GT(fitted[0][64][63].item<float>(), 0.95);
}

TEST(FitImage, DownscalingIsAntialiased) {
  // A one-pixel checkerboard shrunk 8x averages to grey instead of aliasing to black or white.
  const at::Tensor checker = (at::arange(128).view({128, 1}) + at::arange(128).view({1, 128}))
                                 .remainder(2)
                                 .to(at::kFloat)
                                 .mul(2)
                                 .sub(1)
                                 .expand({3, 128, 128})
                                 .contiguous();
  FitOptions options;
  options.mode = FitMode::Stretch;
  const at::Tensor small = fit_image(checker, {16, 16}, options);
  EXPECT_LT(small.abs().max().item<float>(), 0.1f);
}

}  // namespace
}  // namespace motionfarm::io
