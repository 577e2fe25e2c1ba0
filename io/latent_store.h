// The latent checkpoint of one asset: one HDF5 file holding the finished latents of each segment
// of a chained clip and the in-progress sampling state of the segment being rendered, so a render
// can stop anywhere and continue at the exact step.
//
// Layout (docs/checkpoints.md shows it with h5dump/h5py):
//   /meta                      attributes: format_version, model_id, model_config_hash, seed,
//                              prompt_hash, motionfarm_version, xxh64 (over those fields)
//   /meta/extra                attributes: the caller's string map
//   /segments/NNN              attribute complete = 1 once its latents are final
//   /segments/NNN/latents      the segment's final latents (io/hdf5_tensor.h gives the encoding)
//   /segments/NNN/state        a SamplingState: attributes sampler, num_steps, shift, step_index,
//                              history_length, xxh64; datasets latent, history/000.., last_sample
//
// Crash safety, by whole-file copy-on-write: every update writes a complete new file beside the
// store (".<name>.partial-<host>-<pid>"), copies the unchanged segments into it, closes and fsyncs
// it, and renames it over the store (see io/staged_output.h). rename(2) is atomic, so a process
// killed at any moment (SIGKILL included) leaves either the old file or the new one, each complete;
// a dead writer's temporary is removed by the next writer. The cost is that an update rewrites the
// whole file (the finished segments are copied chunk by chunk, without decompressing); the rank
// picks its checkpoint interval from the measured time (checkpoint_interval.h).
//
// Verified on read: every dataset's XXH64 over its raw bytes, the /meta and state header
// checksums, stored types, shapes and sizes against the file size (a hostile file claiming huge
// dimensions is rejected before anything is allocated). Every failure is a CheckpointError whose
// message says what is wrong; the caller recomputes the segment.
//
// Not thread-safe: one thread uses a LatentStore at a time, and one process writes a given file.
// io/ knows nothing of the model: the rank layer converts model::SamplerState to SamplingState.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_storage_options.h"

namespace motionfarm::io {

// The layout version this build writes and reads; a file with another is refused.
inline constexpr int64_t kLatentStoreFormatVersion = 1;
// Segments are numbered 000-999.
inline constexpr int kMaxLatentSegments = 1000;

// What a store was rendered for; open() refuses a store written for anything else, because its
// latents would be wrong for this render.
struct LatentStoreIdentity {
  std::string model_id;           // e.g. "wan2.1-i2v-14b-480p"
  std::string model_config_hash;  // hash of the model config and weights the rank computed
  uint64_t seed = 0;              // the job seed the noise comes from
  std::string prompt_hash;        // hash of the prompt, negative prompt and conditioning image
};

struct LatentStoreMeta {
  LatentStoreIdentity identity;
  std::map<std::string, std::string> extra;  // anything else the caller wants kept (free text)
  // Set by the store: create() writes kLatentStoreFormatVersion and this build's version; open()
  // reports what the file holds.
  int64_t format_version = kLatentStoreFormatVersion;
  std::string motionfarm_version;
};

// The in-progress state of one segment's sampling: the model-free mirror of model::SamplerState
// plus the latent it applies to. Storing and restoring it continues the run bitwise.
struct SamplingState {
  std::string sampler;  // "euler", "unipc"
  int64_t num_steps = 0;
  double shift = 0.0;
  int64_t step_index = 0;                 // the next step to take
  at::Tensor latent;                      // the latent at step_index
  std::vector<at::Tensor> model_outputs;  // the sampler's multistep history, oldest first
  at::Tensor last_sample;                 // may be undefined (Euler, or before UniPC's first step)
};

struct LatentStoreOptions {
  TensorDatasetOptions tensors;  // chunking and optional gzip of every dataset written
};

// What inspect() found in one segment.
struct SegmentReport {
  int index = 0;
  bool complete = false;          // final latents are present
  std::string dtype;              // of the latents (empty when incomplete)
  std::vector<int64_t> shape;     // of the latents
  bool latents_verified = false;  // the latents read back and their checksum matched
  std::string problem;            // why not, when complete && !latents_verified
  struct State {
    std::string sampler;
    int64_t step_index = 0;
    int64_t num_steps = 0;
    double shift = 0.0;
    int64_t history_length = 0;
    std::vector<int64_t> latent_shape;
    bool verified = false;  // every dataset and the header checksum matched
    std::string problem;
  };
  std::optional<State> state;  // an in-progress state is stored
};

class LatentStore {
 public:
  // Writes a new empty store at `path` (replacing any file there, atomically). Throws
  // DiskFullError when the disk is full, CheckpointError when the file cannot be written otherwise.
  // Every writer below throws the same two; the store then keeps its previous version.
  static LatentStore create(const std::string& path, const LatentStoreMeta& meta,
                            const LatentStoreOptions& options = {});
  // Opens the store at `path` and checks that it was written for `expected`. Throws
  // CheckpointError when the file is missing, not an HDF5 file, truncated or damaged, of an unknown
  // format version, or written for another model, config, seed or prompt ("mismatch: written by
  // model X, expected Y").
  static LatentStore open(const std::string& path, const LatentStoreIdentity& expected,
                          const LatentStoreOptions& options = {});
  // As open(), without the identity check: for inspecting a file of any origin.
  static LatentStore open_unchecked(const std::string& path);

  const std::string& path() const { return path_; }
  const LatentStoreMeta& meta() const { return meta_; }

  // Indices of every segment that has final latents or a state, ascending.
  std::vector<int> segment_indices() const;
  bool has_complete_segment(int index) const;
  bool has_state(int index) const;

  // The final latents of segment `index`, verified. Throws CheckpointError when the segment is
  // missing or incomplete or its data does not verify.
  at::Tensor read_segment(int index) const;
  // Stores final latents for `index` (replacing any) and drops its in-progress state.
  void write_segment(int index, const at::Tensor& latents);
  // Removes segment `index` (latents and state), e.g. one that failed to verify.
  void discard_segment(int index);

  // The in-progress state of segment `index`, verified; nullopt when none is stored. Throws
  // CheckpointError when one is stored but does not verify.
  std::optional<SamplingState> read_state(int index) const;
  // Stores `state` for segment `index`, replacing the previous one. The segment must not be
  // complete.
  void write_state(int index, const SamplingState& state);

  // Reads and verifies every segment and state; never throws for a bad one (its report says why).
  std::vector<SegmentReport> inspect() const;

 private:
  struct SegmentEntry {
    bool complete = false;
    bool has_state = false;
  };
  LatentStore(std::string path, LatentStoreOptions options);
  void load_index();

  std::string path_;
  LatentStoreOptions options_;
  LatentStoreMeta meta_;
  std::map<int, SegmentEntry> segments_;
};

}  // namespace motionfarm::io
