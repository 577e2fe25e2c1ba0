#include "rank/group_latent_store.h"

#include <exception>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/log.h"
#include "parallel/mpi_comm.h"
#include "rank/latent_checkpoint.h"

namespace motionfarm::rank {
namespace {

// Leader: opens or creates the store (open_or_create_latent_store logs a store it had to set
// aside) and drops what in it cannot be used for this task, before the members read it.
io::LatentStore leader_store(const FarmTask& task, const std::string& path,
                             const io::LatentStoreIdentity& identity) {
  io::LatentStore store = open_or_create_latent_store(path, identity);
  const int k = static_cast<int>(task.segment_index);
  if (k >= 0 && store.has_complete_segment(k)) {
    // An earlier run finished this segment but died before the coordinator heard of it. The
    // latents are kept if they verify (a rerun would compute the same bits), else redone.
    try {
      store.read_segment(k);
    } catch (const CheckpointError& error) {
      MF_LOG(Warn, "checkpoint") << "segment " << k << " of '" << task.asset.id
                                 << "': stored latents dropped, rendering again: " << error.what();
      store.discard_segment(k);
    }
  }
  if (k >= 0 && store.has_state(k)) {
    // A stored state that does not verify is dropped: the segment restarts at step 0.
    try {
      store.read_state(k);
    } catch (const CheckpointError& error) {
      MF_LOG(Warn, "checkpoint") << "segment " << k << " of '" << task.asset.id
                                 << "': stored state dropped, restarting the segment: "
                                 << error.what();
      store.discard_segment(k);
    }
  }
  return store;
}

}  // namespace

io::LatentStore open_group_latent_store(const FarmTask& task, const std::string& model_id,
                                        const parallel::Topology& topology) {
  const bool leader = topology.is_group_leader();
  const std::string path = latent_store_path(task.latent_folder);
  const io::LatentStoreIdentity identity = latent_store_identity(task.asset, model_id);
  std::optional<io::LatentStore> store;
  std::exception_ptr failure;  // the leader's, when it could not open or repair the store
  if (leader) {
    try {
      store.emplace(leader_store(task, path, identity));
    } catch (const std::exception&) {
      failure = std::current_exception();
    }
  }
  int ok = failure ? 0 : 1;
  if (topology.group().size() > 1) {
    parallel::check_mpi(MPI_Bcast(&ok, 1, MPI_INT, 0, topology.group().get()),
                        "MPI_Bcast (latent store)");
  }
  if (!ok) {
    // The leader reports its own error, type included (a full disk is not a bad checkpoint).
    if (failure) std::rethrow_exception(failure);
    throw CheckpointError("the group leader could not open the latent store " + path +
                          " (its log says why)");
  }
  if (!leader) store.emplace(io::LatentStore::open(path, identity));
  return std::move(*store);
}

}  // namespace motionfarm::rank
