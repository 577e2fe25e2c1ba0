// The Wan2.1 and Wan2.2 VAEs against the public references' outputs (../shared/golden, see its
// README): encode `video` -> `z`, decode `z` -> `decoded` and `z_in` -> `decoded_in`, each within
// the golden tolerance max |ours - ref| <= 1e-4 * max(1, |ref|).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/model/vae_test_support.h"

namespace motionfarm::model {
namespace {

using vae_testing::excess_error;
using vae_testing::golden_io;
using vae_testing::golden_vae;
using vae_testing::max_abs_diff;

constexpr double kGoldenTolerance = 1e-4;

class VaeGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(VaeGolden, EncodeMatchesTheReference) {
  const auto vae = golden_vae(GetParam());
  const at::Tensor expected = golden_io(GetParam(), "z");
  const at::Tensor z = vae->encode(golden_io(GetParam(), "video"));
  ASSERT_EQ(z.sizes(), expected.sizes());
  EXPECT_LE(excess_error(z, expected, kGoldenTolerance), 0.0)
      << "max |diff| " << max_abs_diff(z, expected);
}

TEST_P(VaeGolden, DecodeMatchesTheReference) {
  const auto vae = golden_vae(GetParam());
  const at::Tensor expected = golden_io(GetParam(), "decoded");
  const at::Tensor frames = vae->decode(golden_io(GetParam(), "z"));
  ASSERT_EQ(frames.sizes(), expected.sizes());
  EXPECT_LE(excess_error(frames, expected, kGoldenTolerance), 0.0)
      << "max |diff| " << max_abs_diff(frames, expected);
}

TEST_P(VaeGolden, DecodeOfRandomLatentsMatchesTheReference) {
  const auto vae = golden_vae(GetParam());
  const at::Tensor expected = golden_io(GetParam(), "decoded_in");
  const at::Tensor frames = vae->decode(golden_io(GetParam(), "z_in"));
  ASSERT_EQ(frames.sizes(), expected.sizes());
  EXPECT_LE(excess_error(frames, expected, kGoldenTolerance), 0.0)
      << "max |diff| " << max_abs_diff(frames, expected);
  // The reference clamps to [-1, 1]; so must we.
  EXPECT_LE(frames.abs().max().item<float>(), 1.0f);
}

INSTANTIATE_TEST_SUITE_P(Cases, VaeGolden, ::testing::Values("wan21_vae_tiny", "wan22_vae_tiny"));

}  // namespace
}  // namespace motionfarm::model
