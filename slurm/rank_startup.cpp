#include "slurm/rank_startup.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/log.h"

namespace motionfarm::slurm {

namespace {

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

nlohmann::json to_json(const RankPlacement& p) {
  return {{"rank", p.world_rank},       {"host", p.host},
          {"local", p.local_rank},      {"device", p.gpu.device},
          {"physical", p.gpu.physical}, {"note", p.gpu.note}};
}

RankPlacement from_json(const nlohmann::json& j) {
  RankPlacement p;
  p.world_rank = j.at("rank").get<int>();
  p.host = j.at("host").get<std::string>();
  p.local_rank = j.at("local").get<int>();
  p.gpu.device = j.at("device").get<int>();
  p.gpu.physical = j.at("physical").get<std::string>();
  p.gpu.note = j.at("note").get<std::string>();
  return p;
}

// Collective over `world`: every rank's placement, on rank 0 (empty elsewhere).
std::vector<RankPlacement> gather_placements(const parallel::MpiComm& world,
                                             const RankPlacement& mine) {
  const std::string text = to_json(mine).dump();
  int length = static_cast<int>(text.size());
  const int size = world.size();
  const bool root = world.rank() == 0;
  std::vector<int> lengths(root ? size : 0);
  parallel::check_mpi(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, world.get()),
                      "MPI_Gather (start-up placement sizes)");
  std::vector<int> offsets(lengths.size(), 0);
  for (size_t i = 1; i < lengths.size(); ++i) offsets[i] = offsets[i - 1] + lengths[i - 1];
  std::string all(root ? static_cast<size_t>(offsets.back() + lengths.back()) : 0, '\0');
  parallel::check_mpi(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                  offsets.data(), MPI_CHAR, 0, world.get()),
                      "MPI_Gatherv (start-up placements)");
  std::vector<RankPlacement> placements;
  for (size_t i = 0; i < lengths.size(); ++i) {
    placements.push_back(from_json(nlohmann::json::parse(all.substr(offsets[i], lengths[i]))));
  }
  return placements;
}

}  // namespace

std::string rank_ranges(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!text.empty()) text += ",";
    text += std::to_string(ranks[i]);
    if (j > i) text += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return text;
}

std::vector<std::string> describe_nodes(const std::vector<RankPlacement>& placements) {
  std::vector<std::string> hosts;  // in order of each host's first rank
  std::map<std::string, std::vector<RankPlacement>> by_host;
  std::vector<RankPlacement> sorted = placements;
  std::sort(sorted.begin(), sorted.end(), [](const RankPlacement& a, const RankPlacement& b) {
    return a.world_rank < b.world_rank;
  });
  for (const RankPlacement& p : sorted) {
    if (!by_host.count(p.host)) hosts.push_back(p.host);
    by_host[p.host].push_back(p);
  }
  std::vector<std::string> lines;
  for (const std::string& host : hosts) {
    const std::vector<RankPlacement>& ranks = by_host[host];
    std::vector<int> ids;
    std::string gpus;
    std::string note;
    for (const RankPlacement& p : ranks) {
      ids.push_back(p.world_rank);
      if (p.gpu.device >= 0) gpus += (gpus.empty() ? "" : ",") + p.gpu.physical;
      if (note.empty()) note = p.gpu.note;
    }
    std::ostringstream line;
    line << "node " << host << ": " << ranks.size() << (ranks.size() == 1 ? " rank (" : " ranks (")
         << rank_ranges(ids) << "), GPUs ";
    if (gpus.empty()) {
      line << "none (" << (note.empty() ? "no GPU visible" : note) << ")";
    } else {
      line << gpus;
      if (!note.empty()) line << " (" << note << ")";
    }
    lines.push_back(line.str());
  }
  return lines;
}

RankStartup start_rank(const parallel::MpiComm& world) {
  RankStartup startup;
  try {
    startup.slurm = read_slurm_environment(process_environment());
  } catch (const std::exception& error) {
    MF_LOG(Warn, "launch") << error.what();
  }
  // Ranks sharing memory share a node: MPI's count is right under srun and mpirun alike.
  const parallel::MpiComm node = world.split_shared_memory(world.rank());
  RankPlacement& mine = startup.placement;
  mine.world_rank = world.rank();
  mine.host = host_name();
  mine.local_rank = node.rank();
  mine.gpu = bind_rank_to_gpu(node.rank(), node.size(), startup.slurm.cuda_visible_devices);
  if (startup.slurm.local_id && *startup.slurm.local_id != mine.local_rank &&
      startup.slurm.ntasks.value_or(-1) == world.size()) {
    // srun started every rank, so SLURM_LOCALID should be MPI's node rank; if not, the binding
    // below follows MPI, and the wrangler should know the two disagree.
    MF_LOG(Warn, "launch") << "SLURM_LOCALID " << *startup.slurm.local_id
                           << " differs from the MPI node rank " << mine.local_rank;
  }
  std::ostringstream launch;
  launch << startup.slurm.describe() << "; " << world.size()
         << (world.size() == 1 ? " MPI rank" : " MPI ranks");
  startup.launch = launch.str();

  const std::vector<RankPlacement> all = gather_placements(world, mine);
  if (world.rank() == 0) {
    MF_LOG(Info, "launch") << startup.launch;
    for (const std::string& line : describe_nodes(all)) MF_LOG(Info, "launch") << line;
  }
  return startup;
}

}  // namespace motionfarm::slurm
