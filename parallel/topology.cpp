#include "parallel/topology.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace motionfarm::parallel {

Topology Topology::create(const MpiComm& world, const ParallelLayout& layout) {
  Topology topology;
  topology.layout_ = layout;
  topology.world_rank_ = world.rank();
  topology.world_size_ = world.size();
  const int group_size = layout.group_size();
  if (layout.cfg < 1 || layout.tp < 1 || layout.ulysses < 1 || layout.ring < 1 ||
      topology.world_size_ % group_size != 0) {
    throw ConfigError("layout " + layout.to_string() + " needs groups of " +
                      std::to_string(group_size) + " ranks, which do not divide the " +
                      std::to_string(topology.world_size_) + " ranks of the job");
  }

  // Which node each rank is on: the world rank of its node's first rank names the node.
  const MpiComm node = world.split_shared_memory(topology.world_rank_);
  topology.local_rank_ = node.rank();
  int node_id = topology.world_rank_;
  check_mpi(MPI_Bcast(&node_id, 1, MPI_INT, 0, node.get()), "MPI_Bcast(node id)");

  struct Placement {
    int node_id;
    int local_rank;
    int world_rank;
  };
  const int mine[3] = {node_id, topology.local_rank_, topology.world_rank_};
  std::vector<int> all(3 * static_cast<size_t>(topology.world_size_));
  check_mpi(MPI_Allgather(mine, 3, MPI_INT, all.data(), 3, MPI_INT, world.get()),
            "MPI_Allgather(placement)");
  std::vector<Placement> order;
  for (int r = 0; r < topology.world_size_; ++r) {
    order.push_back({all[3 * r], all[3 * r + 1], all[3 * r + 2]});
  }
  std::sort(order.begin(), order.end(), [](const Placement& a, const Placement& b) {
    return a.node_id != b.node_id ? a.node_id < b.node_id : a.local_rank < b.local_rank;
  });
  const auto position = static_cast<int>(
      std::find_if(order.begin(), order.end(),
                   [&](const Placement& p) { return p.world_rank == topology.world_rank_; }) -
      order.begin());

  topology.num_groups_ = topology.world_size_ / group_size;
  topology.group_index_ = position / group_size;
  topology.rank_in_group_ = position % group_size;
  const int first = topology.group_index_ * group_size;
  topology.group_within_node_ = order[first].node_id == order[first + group_size - 1].node_id;

  const int r = topology.rank_in_group_;
  GroupCoordinates& c = topology.coordinates_;
  c.tp = r % layout.tp;
  c.ulysses = (r / layout.tp) % layout.ulysses;
  c.ring = (r / (layout.tp * layout.ulysses)) % layout.ring;
  c.cfg = r / (layout.tp * layout.ulysses * layout.ring);

  // Every split below is collective over the world; each colour names one sub-communicator.
  const int g = topology.group_index_;
  topology.group_ = world.split(g, r);
  auto color = [&](int a, int b, int d) {
    return ((g * 8 + a) * 1024 + b) * 1024 + d;  // unique per (group, the other coordinates)
  };
  topology.cfg_ = world.split(color(0, c.tp, c.ulysses * layout.ring + c.ring), c.cfg);
  topology.tp_ = world.split(color(c.cfg, c.ulysses, c.ring), c.tp);
  topology.ulysses_ = world.split(color(c.cfg, c.tp, c.ring), c.ulysses);
  topology.ring_ = world.split(color(c.cfg, c.tp, c.ulysses), c.ring);
  topology.sequence_ = world.split(color(c.cfg, c.tp, 0), c.ring * layout.ulysses + c.ulysses);
  topology.leaders_ = world.split(r == 0 ? 0 : MPI_UNDEFINED, g);
  return topology;
}

std::string Topology::describe() const {
  std::ostringstream out;
  out << "group " << group_index_ << "/" << num_groups_ << " rank " << rank_in_group_ << "/"
      << layout_.group_size() << " (cfg " << coordinates_.cfg << " tp " << coordinates_.tp
      << " ulysses " << coordinates_.ulysses << " ring " << coordinates_.ring << "), "
      << (group_within_node_ ? "node-local" : "spans nodes");
  return out.str();
}

}  // namespace motionfarm::parallel
