// The DiT forward split over every layout that fits the ranks equals the single-rank forward
// within 1e-5·max(1,|ref|) in fp32: the golden tiny checkpoints, an image-conditioned model and a
// token count that does not divide the sequence-parallel degree.
#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"
#include "parallel/mpi_communicator.h"
#include "parallel/parallel_wan_dit.h"
#include "parallel/topology.h"
#include "tests/support/test_paths.h"

namespace motionfarm::parallel {
namespace {

constexpr double kTolerance = 1e-5;

// The communicators of one group, owned for the test's lifetime.
struct GroupCommunicators {
  explicit GroupCommunicators(const Topology& topology)
      : tp(topology.tp_comm()),
        ulysses(topology.ulysses_comm()),
        ring(topology.ring_comm()),
        sequence(topology.sequence_comm()) {}
  DiTGroupComms borrow() { return {&tp, &ulysses, &ring, &sequence}; }
  MpiCommunicator tp, ulysses, ring, sequence;
};

double max_relative_error(const at::Tensor& ours, const at::Tensor& reference) {
  const double scale = std::max(1.0, reference.abs().max().item<double>());
  return (ours - reference).abs().max().item<double>() / scale;
}

std::vector<ParallelLayout> dit_layouts(int world_size) {
  std::vector<ParallelLayout> layouts;
  for (const char* text : {"ulysses=2", "ring=2", "tp=2", "ulysses=4", "ring=4", "tp=4",
                           "ulysses=2,ring=2", "tp=2,ulysses=2", "tp=2,ring=2"}) {
    const ParallelLayout layout = ParallelLayout::parse(text);
    if (layout.group_size() <= world_size && world_size % layout.group_size() == 0) {
      layouts.push_back(layout);
    }
  }
  return layouts;
}

void expect_every_layout_matches(const model::WanDiT& model, const model::DiTInputs& inputs,
                                 int64_t min_heads_per_rank = 1) {
  const at::Tensor reference = model.forward(inputs);
  const MpiComm world = MpiComm::world();
  for (const ParallelLayout& layout : dit_layouts(world.size())) {
    if (model.config().num_heads / (layout.tp * layout.ulysses) < min_heads_per_rank ||
        model.config().num_heads % (layout.tp * layout.ulysses) != 0) {
      continue;
    }
    SCOPED_TRACE(layout.to_string());
    const Topology topology = Topology::create(world, layout);
    GroupCommunicators comms(topology);
    const ParallelWanDiT parallel(model, comms.borrow());
    const at::Tensor ours = parallel.forward(inputs);
    ASSERT_EQ(ours.sizes(), reference.sizes());
    EXPECT_LE(max_relative_error(ours, reference), kTolerance);
  }
}

struct GoldenCase {
  model::WanDiT model;
  model::DiTInputs inputs;
};

GoldenCase load_golden(const std::string& name) {
  const std::string prefix = testing::shared_dir() + "/golden/" + name;
  const model::WanDiTConfig config = model::load_wan_dit_config_file(prefix + ".json");
  const auto weights =
      model::WanDiTWeights::load(io::SafetensorsCheckpoint::open(prefix + ".safetensors"), config);
  const auto io = io::SafetensorsCheckpoint::open(prefix + ".io.safetensors");
  model::DiTInputs inputs;
  inputs.x = io.tensor("x").unsqueeze(0);
  inputs.t = io.tensor("t");
  inputs.context = io.tensor("context").unsqueeze(0);
  return {model::WanDiT(config, weights), inputs};
}

TEST(ParallelDiT, GoldenWan21MatchesOnEveryLayout) {
  GoldenCase golden = load_golden("wan21_t2v_tiny");
  expect_every_layout_matches(golden.model, golden.inputs);
}

TEST(ParallelDiT, GoldenWan22PerTokenTimestepsMatchOnEveryLayout) {
  GoldenCase golden = load_golden("wan22_ti2v_tiny");  // 60 tokens, t per token, 2 heads
  expect_every_layout_matches(golden.model, golden.inputs);
}

TEST(ParallelDiT, ImageConditionedModelWithUnevenTokensMatches) {
  model::WanDiTConfig config;
  config.model_type = "i2v";
  config.dim = 64;
  config.ffn_dim = 128;
  config.num_heads = 4;
  config.num_layers = 2;
  config.in_dim = 12;
  config.out_dim = 6;
  config.text_dim = 32;
  config.text_len = 8;
  config.validate();
  const model::WanDiT dit(config, model::WanDiTWeights::random(config, 7));
  at::Generator generator = at::detail::createCPUGenerator(11);
  model::DiTInputs inputs;
  // 3 × 3 × 5 = 45 tokens: not divisible by 2 or 4.
  inputs.x = at::randn({1, 6, 3, 6, 10}, generator, at::TensorOptions().dtype(at::kFloat));
  inputs.y = at::randn({1, 6, 3, 6, 10}, generator, at::TensorOptions().dtype(at::kFloat));
  inputs.t = at::full({1}, 650.0);
  inputs.context = at::randn({1, 5, 32}, generator, at::TensorOptions().dtype(at::kFloat));
  inputs.clip_fea = at::randn({1, 257, 1280}, generator, at::TensorOptions().dtype(at::kFloat));
  expect_every_layout_matches(dit, inputs);
}

}  // namespace
}  // namespace motionfarm::parallel
