// The DiT against the public reference's golden vectors (../shared/golden/README.md).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "model/wan_dit.h"
#include "model/wan_dit_weights.h"
#include "tests/unit/model/golden_dit.h"

namespace motionfarm::model {
namespace {

using testing::expect_matches_reference;
using testing::golden_config;
using testing::golden_inputs;
using testing::golden_output;
using testing::golden_weights;

WanDiT golden_model(const std::string& name) {
  const WanDiTConfig config = golden_config(name);
  return WanDiT(config, WanDiTWeights::load(golden_weights(name), config));
}

TEST(WanDiTGolden, Wan21T2VMatchesReference) {
  const WanDiT model = golden_model("wan21_t2v_tiny");
  const at::Tensor out = model.forward(golden_inputs("wan21_t2v_tiny"));
  EXPECT_EQ(out.scalar_type(), at::kFloat);
  expect_matches_reference(out, golden_output("wan21_t2v_tiny"));
}

// t is [1, seq_len = 64] for 60 real tokens: 0 on the first latent frame, 837 elsewhere.
TEST(WanDiTGolden, Wan22TI2VPerTokenTimestepsMatchReference) {
  const WanDiT model = golden_model("wan22_ti2v_tiny");
  const DiTInputs inputs = golden_inputs("wan22_ti2v_tiny");
  ASSERT_EQ(inputs.t.sizes(), (at::IntArrayRef{1, 64}));
  expect_matches_reference(model.forward(inputs), golden_output("wan22_ti2v_tiny"));
}

// The padding tokens' timesteps (entries 60..63) never reach the output.
TEST(WanDiTGolden, Wan22PaddingTimestepsDoNotChangeTheOutput) {
  const WanDiT model = golden_model("wan22_ti2v_tiny");
  DiTInputs inputs = golden_inputs("wan22_ti2v_tiny");
  const at::Tensor reference = model.forward(inputs);
  inputs.t = inputs.t.clone();
  inputs.t.narrow(1, 60, 4).fill_(3.0);
  EXPECT_TRUE(at::equal(model.forward(inputs), reference));
}

// Wan2.2's model turns a [1] t into one per token; with Wan2.1 weights that must give the Wan2.1
// output, whichever form t takes.
TEST(WanDiTGolden, Wan21WeightsWithPerTokenTimestepsMatchReference) {
  const WanDiT model = golden_model("wan21_t2v_tiny");
  DiTInputs inputs = golden_inputs("wan21_t2v_tiny");
  inputs.t = inputs.t.view({1, 1}).expand({1, 240}).contiguous();  // seq_len 240
  expect_matches_reference(model.forward(inputs), golden_output("wan21_t2v_tiny"));
}

}  // namespace
}  // namespace motionfarm::model
