// libFuzzer target: the HDF5 latent store (io/latent_store.h), read through its public API as
// resume and `motionfarm inspect-checkpoint` read a store left on disk.
//
// The input is written as a file and opened; every segment's latents and state are read, then
// inspect() reads them all again. Each step must succeed or throw CheckpointError (the rank then
// recomputes the segment); anything else is a finding. Coverage guides through motionfarm's own
// checks only: libhdf5 is not instrumented.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/latent_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using motionfarm::fuzz::invariant_failed;

void read_everything(const motionfarm::io::LatentStore& store) {
  for (const int index : store.segment_indices()) {
    if (index < 0 || index >= motionfarm::io::kMaxLatentSegments) {
      invariant_failed("segment index out of range: " + std::to_string(index));
    }
    if (store.has_complete_segment(index)) {
      try {
        if (!store.read_segment(index).defined()) invariant_failed("an undefined segment tensor");
      } catch (const motionfarm::CheckpointError&) {
      }
    }
    if (store.has_state(index)) {
      try {
        if (const auto state = store.read_state(index)) {
          if (!state->latent.defined()) invariant_failed("a state without its latent");
          if (state->step_index < 0 || state->step_index > state->num_steps) {
            invariant_failed("a state whose step is outside 0..num_steps");
          }
        }
      } catch (const motionfarm::CheckpointError&) {
      }
    }
  }
  for (const auto& report : store.inspect()) {
    if (report.latents_verified && !report.complete) invariant_failed("verified but incomplete");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = motionfarm::fuzz::write_scratch_file("store.h5", data, size);
  try {
    read_everything(motionfarm::io::LatentStore::open_unchecked(path));
  } catch (const motionfarm::CheckpointError&) {
  }
  try {
    motionfarm::io::LatentStoreIdentity identity;
    identity.model_id = "tiny-i2v";
    identity.model_config_hash = "fuzz";
    identity.prompt_hash = "fuzz";
    read_everything(motionfarm::io::LatentStore::open(path, identity));
  } catch (const motionfarm::CheckpointError&) {
  }
  return 0;
}
