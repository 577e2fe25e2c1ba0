// The farm's use of the HDF5 latent store (io/latent_store.h): one file per asset,
// `<state>/latents/<asset>/latents.h5`, holding the final latents of each finished segment of its
// chain and the in-progress sampling state of the segment being rendered.
//
// The identity a store is written for is the asset's render settings (everything in AssetRender
// that changes its latents: image, prompts, seed, size, sampler, steps, shift, guidance, the
// segment plan and the extension settings) and the model preset. A store written for anything
// else, or one that does not verify (truncated, flipped bytes, missing segment), is never reused:
// it is set aside as `latents.h5.rejected` (for a look with h5dump) and its segments recomputed,
// with the reason logged and reported.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "io/latent_store.h"
#include "rank/farm_task.h"
#include "rank/sampling_loop.h"

namespace motionfarm::rank {

// "<latent_folder>/latents.h5".
std::string latent_store_path(const std::string& latent_folder);

// What `asset`'s latents depend on, rendered by preset `model_id`.
io::LatentStoreIdentity latent_store_identity(const AssetRender& asset,
                                              const std::string& model_id);

// Opens the store at `path` for `identity`, or creates an empty one there. When the file exists but
// cannot be used, it is renamed to "<path>.rejected" and a new one created; `problem` (when given)
// receives why, empty otherwise.
io::LatentStore open_or_create_latent_store(const std::string& path,
                                            const io::LatentStoreIdentity& identity,
                                            std::string* problem = nullptr);

// The stored form of a sampling checkpoint and back (tensors moved to the CPU for storage).
io::SamplingState to_stored_state(const SamplingCheckpoint& checkpoint);
SamplingCheckpoint from_stored_state(const io::SamplingState& state);

// Writes a segment's sampling state into its store every K steps, and at a stop. K is
// `every` when positive, else chosen from measured times so that writing costs at most 1% of
// the sampling time (io/checkpoint_interval.h): the first state is written after the first step,
// which measures both. The final step's state is never written (the segment's latents follow). A
// state that cannot be written (disk full) is logged and skipped: the render goes on.
//
// A batch (several assets sampled in one forward, in lockstep) writes every member's state at the
// same steps, so a rerun finds them all at one step and resumes the batch there together.
class StateCheckpointer {
 public:
  // One member's store and the segment it renders; the store is borrowed and must outlive this.
  struct Target {
    io::LatentStore* store = nullptr;
    int segment = 0;
  };

  StateCheckpointer(io::LatentStore& store, int segment, int64_t num_steps, int64_t every = 0);
  // A batch: one target per member, in the order of the checkpoints after_step receives.
  StateCheckpointer(std::vector<Target> targets, int64_t num_steps, int64_t every = 0);

  // After step `step_index` (0-based); `stopping`: the run ends at this boundary.
  void after_step(int64_t step_index, const SamplingCheckpoint& after, bool stopping);
  // A batch: one checkpoint per target.
  void after_step(int64_t step_index, const std::vector<SamplingCheckpoint>& after, bool stopping);

  int64_t interval() const { return interval_; }  // 0 until chosen
  int64_t states_written() const { return written_; }

 private:
  std::vector<Target> targets_;
  int64_t num_steps_;
  int64_t interval_;
  int64_t written_ = 0;
  double step_start_;
};

}  // namespace motionfarm::rank
