// A whole 4-step UniPC sampling loop with classifier-free guidance, split over every layout that
// fits the ranks (cfg, tp, ulysses, ring and their combinations), equals the single-rank loop
// within 1e-5·max(1,|ref|) in fp32. Noise comes from the seeded generator on every rank alike.
#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "model/guidance.h"
#include "model/sampler.h"
#include "model/seeded_noise.h"
#include "model/wan_dit.h"
#include "model/wan_dit_config.h"
#include "parallel/cfg_parallel.h"
#include "parallel/mpi_communicator.h"
#include "parallel/parallel_wan_dit.h"
#include "parallel/topology.h"
#include "tests/support/test_paths.h"

namespace motionfarm::parallel {
namespace {

constexpr double kTolerance = 1e-5;
constexpr double kGuidance = 5.0;

struct SamplingCase {
  model::WanDiT model;
  at::Tensor noise;
  at::Tensor cond_context;
  at::Tensor uncond_context;
};

SamplingCase golden_case() {
  const std::string prefix = testing::shared_dir() + "/golden/wan21_t2v_tiny";
  const model::WanDiTConfig config = model::load_wan_dit_config_file(prefix + ".json");
  const auto weights =
      model::WanDiTWeights::load(io::SafetensorsCheckpoint::open(prefix + ".safetensors"), config);
  const auto io = io::SafetensorsCheckpoint::open(prefix + ".io.safetensors");
  const at::Tensor context = io.tensor("context").unsqueeze(0);
  // 16 channels, 5 × 10 × 14 latent: 5·5·7 = 175 tokens, not divisible by 2 or 4.
  const at::Tensor noise = model::seeded_normal({42, "sampling-test", 0}, {1, 16, 5, 10, 14});
  return {model::WanDiT(config, weights), noise, context, at::zeros_like(context)};
}

using Forward = std::function<at::Tensor(const model::DiTInputs&)>;

at::Tensor sample(const SamplingCase& test, const Forward& forward, Communicator* cfg) {
  auto branch = [&test, forward](const at::Tensor& context) {
    return [forward, context](const at::Tensor& latent, double timestep) {
      model::DiTInputs inputs;
      inputs.x = latent;
      inputs.t = at::full({1}, timestep, at::kDouble);
      inputs.context = context;
      return forward(inputs);
    };
  };
  const model::VelocityFn velocity =
      cfg_parallel_velocity(branch(test.cond_context), branch(test.uncond_context), kGuidance, cfg);
  model::FlowScheduleConfig schedule;
  schedule.num_steps = 4;
  schedule.shift = 5.0;
  auto sampler = model::make_sampler(model::SamplerKind::kUniPC, schedule);
  return model::run_sampler(*sampler, velocity, test.noise);
}

TEST(ParallelSampling, FourStepGuidedLoopMatchesOnEveryLayout) {
  const SamplingCase test = golden_case();
  const at::Tensor reference = sample(
      test, [&](const model::DiTInputs& inputs) { return test.model.forward(inputs); }, nullptr);
  const MpiComm world = MpiComm::world();
  for (const char* text : {"cfg=2", "ulysses=2", "ring=2", "tp=2", "cfg=2,ulysses=2",
                           "tp=2,ulysses=2", "ulysses=2,ring=2", "ulysses=4", "ring=4", "tp=4"}) {
    const ParallelLayout layout = ParallelLayout::parse(text);
    if (world.size() % layout.group_size() != 0) continue;
    SCOPED_TRACE(text);
    const Topology topology = Topology::create(world, layout);
    MpiCommunicator tp(topology.tp_comm()), ulysses(topology.ulysses_comm()),
        ring(topology.ring_comm()), sequence(topology.sequence_comm()), cfg(topology.cfg_comm());
    const ParallelWanDiT dit(test.model, {&tp, &ulysses, &ring, &sequence});
    const at::Tensor ours = sample(
        test, [&](const model::DiTInputs& inputs) { return dit.forward(inputs); }, &cfg);
    const double scale = std::max(1.0, reference.abs().max().item<double>());
    EXPECT_LE((ours - reference).abs().max().item<double>(), kTolerance * scale);
  }
}

}  // namespace
}  // namespace motionfarm::parallel
