// The world split into model groups, and each group into its cfg / tp / ulysses / ring parts.
//
// Ranks are ordered by node (MPI_Comm_split_type shared) and then by their rank on the node, and
// cut into consecutive groups, so a group stays inside one node whenever the node's rank count is
// a multiple of the group size; otherwise its outer dimensions (ring, cfg) span nodes. Inside a
// group the coordinates are tp fastest, then ulysses, ring, cfg (see ParallelLayout).
#pragma once

#include <string>

#include "parallel/mpi_comm.h"
#include "parallel/parallel_layout.h"

namespace motionfarm::parallel {

struct GroupCoordinates {
  int cfg = 0;
  int tp = 0;
  int ulysses = 0;
  int ring = 0;
};

class Topology {
 public:
  // Collective over `world`: every rank calls it with the same layout. Throws ConfigError when
  // the layout does not divide the world (checked identically on every rank, so all throw).
  static Topology create(const MpiComm& world, const ParallelLayout& layout);

  const ParallelLayout& layout() const { return layout_; }
  int world_rank() const { return world_rank_; }
  int world_size() const { return world_size_; }
  int num_groups() const { return num_groups_; }
  int group_index() const { return group_index_; }
  int rank_in_group() const { return rank_in_group_; }
  bool is_group_leader() const { return rank_in_group_ == 0; }
  const GroupCoordinates& coordinates() const { return coordinates_; }
  int local_rank() const { return local_rank_; }  // rank on this node: picks the GPU
  // True when every rank of this rank's group is on this node.
  bool group_within_node() const { return group_within_node_; }

  const MpiComm& group() const { return group_; }
  const MpiComm& cfg_comm() const { return cfg_; }
  const MpiComm& tp_comm() const { return tp_; }
  const MpiComm& ulysses_comm() const { return ulysses_; }
  const MpiComm& ring_comm() const { return ring_; }
  // ulysses × ring: the ranks that share one sequence.
  const MpiComm& sequence_comm() const { return sequence_; }
  // The group leaders (invalid on other ranks): the coordinator's channel.
  const MpiComm& leaders_comm() const { return leaders_; }

  // "group 2/4 rank 1/4 (cfg 0 tp 0 ulysses 1 ring 0), node-local"
  std::string describe() const;

 private:
  ParallelLayout layout_;
  int world_rank_ = 0;
  int world_size_ = 1;
  int num_groups_ = 1;
  int group_index_ = 0;
  int rank_in_group_ = 0;
  int local_rank_ = 0;
  bool group_within_node_ = true;
  GroupCoordinates coordinates_;
  MpiComm group_, cfg_, tp_, ulysses_, ring_, sequence_, leaders_;
};

}  // namespace motionfarm::parallel
