// Chained extension helpers (rank/segment_renderer.h): latent colour matching against drift.
#include <gtest/gtest.h>

#include "rank/segment_renderer.h"

namespace motionfarm::rank {
namespace {

TEST(LatentColourMatch, GivesEachChannelTheAnchorsMeanAndSpread) {
  at::manual_seed(3);
  const at::Tensor anchor = at::randn({1, 4, 3, 5, 6}) * 0.5 + 0.2;
  // A drifted segment: every channel shifted and scaled differently, plus its own detail.
  const at::Tensor drifted =
      at::randn({1, 4, 5, 5, 6}) * at::tensor({2.0f, 0.5f, 1.0f, 3.0f}).view({1, 4, 1, 1, 1}) +
      at::tensor({1.0f, -2.0f, 0.5f, 0.0f}).view({1, 4, 1, 1, 1});
  const at::Tensor matched = match_latent_colours(drifted, anchor);
  const std::vector<int64_t> dims = {2, 3, 4};
  EXPECT_TRUE(at::allclose(matched.mean(dims), anchor.mean(dims), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(matched.std(dims, false), anchor.std(dims, false), 1e-4, 1e-5));
  // The detail is kept: an affine map per channel, so correlations with the input are 1.
  for (int64_t c = 0; c < 4; ++c) {
    const at::Tensor a = drifted[0][c].flatten(), b = matched[0][c].flatten();
    const double correlation = ((a - a.mean()) * (b - b.mean())).mean().item<double>() /
                               (a.std(false).item<double>() * b.std(false).item<double>());
    EXPECT_NEAR(correlation, 1.0, 1e-5) << "channel " << c;
  }
  // Matching a segment to itself changes nothing (beyond rounding).
  EXPECT_TRUE(at::allclose(match_latent_colours(anchor, anchor), anchor, 1e-5, 1e-6));
}

}  // namespace
}  // namespace motionfarm::rank
