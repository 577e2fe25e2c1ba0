// Topology on real ranks: groups, coordinates and sub-communicators for every layout that fits.
#include "parallel/topology.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "parallel/mpi_communicator.h"

namespace motionfarm::parallel {
namespace {

std::vector<ParallelLayout> layouts_that_fit(int world_size) {
  std::vector<ParallelLayout> fits;
  for (const char* text :
       {"", "ulysses=2", "ring=2", "tp=2", "cfg=2", "ulysses=4", "ring=4", "tp=4",
        "ulysses=2,ring=2", "cfg=2,ulysses=2", "tp=2,ulysses=2", "cfg=2,tp=2", "cfg=2,ring=2"}) {
    const ParallelLayout layout = ParallelLayout::parse(text);
    if (world_size % layout.group_size() == 0) fits.push_back(layout);
  }
  return fits;
}

TEST(Topology, CoordinatesAndSubCommunicatorsAgree) {
  const MpiComm world = MpiComm::world();
  for (const ParallelLayout& layout : layouts_that_fit(world.size())) {
    SCOPED_TRACE(layout.to_string());
    const Topology topology = Topology::create(world, layout);
    EXPECT_EQ(topology.num_groups(), world.size() / layout.group_size());
    EXPECT_EQ(topology.group().size(), layout.group_size());
    EXPECT_EQ(topology.tp_comm().size(), layout.tp);
    EXPECT_EQ(topology.ulysses_comm().size(), layout.ulysses);
    EXPECT_EQ(topology.ring_comm().size(), layout.ring);
    EXPECT_EQ(topology.cfg_comm().size(), layout.cfg);
    EXPECT_EQ(topology.sequence_comm().size(), layout.ulysses * layout.ring);
    const GroupCoordinates& c = topology.coordinates();
    EXPECT_EQ(topology.tp_comm().rank(), c.tp);
    EXPECT_EQ(topology.ulysses_comm().rank(), c.ulysses);
    EXPECT_EQ(topology.ring_comm().rank(), c.ring);
    EXPECT_EQ(topology.cfg_comm().rank(), c.cfg);
    EXPECT_EQ(topology.group().rank(), topology.rank_in_group());
    EXPECT_EQ(topology.leaders_comm().valid(), topology.is_group_leader());
    EXPECT_TRUE(topology.group_within_node());  // one node here

    // A sum over the group of (rank_in_group + 1) proves the group holds exactly its ranks.
    MpiCommunicator group(topology.group());
    at::Tensor t = at::full({1}, static_cast<double>(topology.rank_in_group() + 1), at::kDouble);
    group.all_reduce(t);
    const int g = layout.group_size();
    EXPECT_EQ(t.item<double>(), g * (g + 1) / 2.0);

    // Ranks sharing a tp communicator share every other coordinate.
    MpiCommunicator tp(topology.tp_comm());
    at::Tensor others =
        at::tensor({static_cast<double>(c.cfg), static_cast<double>(c.ulysses),
                    static_cast<double>(c.ring), static_cast<double>(topology.group_index())},
                   at::kDouble);
    at::Tensor mine = others.clone();
    tp.all_reduce(others, ReduceOp::Max);
    EXPECT_TRUE(at::equal(others, mine));
  }
}

TEST(Topology, RejectsALayoutThatDoesNotDivideTheWorldOnEveryRank) {
  const MpiComm world = MpiComm::world();
  ParallelLayout layout;
  layout.tp = world.size() + 1;
  EXPECT_THROW(Topology::create(world, layout), ConfigError);
}

}  // namespace
}  // namespace motionfarm::parallel
