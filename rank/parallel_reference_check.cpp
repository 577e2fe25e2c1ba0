#include "rank/parallel_reference_check.h"

#include "core/error.h"
#include "parallel/mpi_communicator.h"
#include "parallel/parallel_wan_dit.h"
#include "parallel/topology.h"

namespace motionfarm::rank {

std::vector<model::OutputComparison> verify_reference_case_parallel(
    const model::ReferenceCase& reference_case, const parallel::ParallelLayout& layout,
    const parallel::MpiComm& world) {
  if (reference_case.module != "wan_dit") {
    throw ConfigError("module '" + reference_case.module +
                      "' has no parallel path in model verify: run it without --layout");
  }
  const model::WanDiT model = model::wan_dit_case_model(reference_case);
  const model::WanDiTConfig& config = model.config();
  parallel::validate_layout(layout, {config.num_heads, config.dim, config.ffn_dim}, world.size());

  const parallel::Topology topology = parallel::Topology::create(world, layout);
  parallel::MpiCommunicator tp(topology.tp_comm());
  parallel::MpiCommunicator ulysses(topology.ulysses_comm());
  parallel::MpiCommunicator ring(topology.ring_comm());
  parallel::MpiCommunicator sequence(topology.sequence_comm());
  const parallel::ParallelWanDiT dit(model, {&tp, &ulysses, &ring, &sequence});

  at::Tensor out = dit.forward(model::wan_dit_case_inputs(reference_case));
  const at::Tensor expected = reference_case.tensor("out");
  if (expected.dim() == 4) out = out.squeeze(0);
  return {model::compare_output("out", out, expected)};
}

}  // namespace motionfarm::rank
