// The /segments/NNN/state group of a latent store (internal to io/): a SamplingState written as
// attributes plus one dataset per tensor, and read back verified. latent_store.h shows the layout.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

#include "io/hdf5_tensor.h"
#include "io/latent_store.h"

namespace motionfarm::io {

// A sampler keeps a short history (UniPC: 2); more than this is a damaged file.
inline constexpr int64_t kMaxSamplerHistory = 16;

// Throws Error when `state` cannot be a sampler's state (no latent, step outside 0..num_steps,
// an undefined history tensor): a caller's mistake, not a damaged file.
void check_sampling_state(const SamplingState& state);

// Writes `state` as group "state" under `segment_group`.
void write_sampling_state(hid_t segment_group, const SamplingState& state,
                          const TensorDatasetOptions& options);

// The scalar fields of the state under `segment_group` (tensors left undefined) and how many
// history tensors it says it holds, without reading or verifying any data.
struct SamplingStateHeader {
  SamplingState fields;
  int64_t history_length = 0;
};
SamplingStateHeader read_sampling_state_header(hid_t segment_group, const std::string& where);

// Reads and verifies the state under `segment_group`: every dataset's checksum and the header
// checksum over the fields and the datasets' checksums. `where` names the group in errors.
SamplingState read_sampling_state(hid_t segment_group, const std::string& where,
                                  uint64_t file_bytes);

}  // namespace motionfarm::io
