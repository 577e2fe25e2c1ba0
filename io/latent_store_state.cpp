#include "io/latent_store_state.h"

#include <cstdio>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/error.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_handles.h"
#include "io/latent_store_file.h"
#include "io/xxhash64.h"

namespace motionfarm::io {
namespace {

std::string history_name(int64_t i) {
  char name[32];
  std::snprintf(name, sizeof(name), "%03lld", static_cast<long long>(i));
  return name;
}

// The shift as its exact bits, so the checksum does not depend on decimal formatting.
std::string exact_double(double value) {
  char text[48];
  std::snprintf(text, sizeof(text), "%a", value);
  return text;
}

// Over the scalar fields and the checksum of every tensor, so a flipped attribute is detected as
// surely as a flipped data byte.
uint64_t header_checksum(const SamplingState& fields, int64_t history_length,
                         const std::vector<uint64_t>& tensor_checksums) {
  Xxhash64 hash;
  hash.update_field("sampler", fields.sampler);
  hash.update_field("num_steps", std::to_string(fields.num_steps));
  hash.update_field("shift", exact_double(fields.shift));
  hash.update_field("step_index", std::to_string(fields.step_index));
  hash.update_field("history_length", std::to_string(history_length));
  for (const uint64_t checksum : tensor_checksums) {
    hash.update_field("tensor", std::to_string(checksum));
  }
  return hash.digest();
}

bool link_exists(hid_t parent, const char* name) {
  const htri_t exists = H5Lexists(parent, name, H5P_DEFAULT);
  if (exists < 0) take_hdf5_error_stack();
  return exists > 0;
}

}  // namespace

void check_sampling_state(const SamplingState& state) {
  MF_CHECK(state.latent.defined(), Error, "a sampling state needs its latent");
  MF_CHECK(!state.sampler.empty(), Error, "a sampling state needs its sampler's name");
  MF_CHECK_GT(state.num_steps, 0, Error, "a sampling state needs num_steps");
  MF_CHECK(state.step_index >= 0 && state.step_index <= state.num_steps, Error,
           "step_index " << state.step_index << " is outside 0.." << state.num_steps);
  MF_CHECK_LE(static_cast<int64_t>(state.model_outputs.size()), kMaxSamplerHistory, Error,
              "the sampler history is longer than a checkpoint stores");
  for (const at::Tensor& output : state.model_outputs) {
    MF_CHECK(output.defined(), Error, "a sampler history tensor is undefined");
  }
}

void write_sampling_state(hid_t segment_group, const SamplingState& state,
                          const TensorDatasetOptions& options) {
  check_sampling_state(state);
  const H5PropertyList create = untimed_group_properties();
  const H5Group group(
      check_h5(H5Gcreate2(segment_group, "state", H5P_DEFAULT, create.get(), H5P_DEFAULT),
               "cannot create the state group"));
  std::vector<uint64_t> checksums;
  checksums.push_back(write_tensor_dataset(group.get(), "latent", state.latent, options));
  const H5Group history(
      check_h5(H5Gcreate2(group.get(), "history", H5P_DEFAULT, create.get(), H5P_DEFAULT),
               "cannot create the state history group"));
  const auto history_length = static_cast<int64_t>(state.model_outputs.size());
  for (int64_t i = 0; i < history_length; ++i) {
    checksums.push_back(write_tensor_dataset(history.get(), history_name(i),
                                             state.model_outputs[static_cast<size_t>(i)], options));
  }
  if (state.last_sample.defined()) {
    checksums.push_back(
        write_tensor_dataset(group.get(), "last_sample", state.last_sample, options));
  }
  write_string_attribute(group.get(), "sampler", state.sampler);
  write_int_attribute(group.get(), "num_steps", state.num_steps);
  write_double_attribute(group.get(), "shift", state.shift);
  write_int_attribute(group.get(), "step_index", state.step_index);
  write_int_attribute(group.get(), "history_length", history_length);
  write_uint_attribute(group.get(), "xxh64", header_checksum(state, history_length, checksums));
}

SamplingStateHeader read_sampling_state_header(hid_t segment_group, const std::string& where) {
  quiet_hdf5_errors();
  const H5Group group(
      check_h5(H5Gopen2(segment_group, "state", H5P_DEFAULT), where + ": cannot open"));
  SamplingStateHeader header;
  SamplingState& fields = header.fields;
  fields.sampler = read_string_attribute(group.get(), "sampler", where);
  fields.num_steps = read_int_attribute(group.get(), "num_steps", where);
  fields.shift = read_double_attribute(group.get(), "shift", where);
  fields.step_index = read_int_attribute(group.get(), "step_index", where);
  header.history_length = read_int_attribute(group.get(), "history_length", where);
  if (fields.num_steps <= 0 || fields.step_index < 0 || fields.step_index > fields.num_steps ||
      header.history_length < 0 || header.history_length > kMaxSamplerHistory) {
    throw CheckpointError(where + ": step " + std::to_string(fields.step_index) + " of " +
                          std::to_string(fields.num_steps) + " with a history of " +
                          std::to_string(header.history_length) +
                          " is not a sampler state; the file is damaged");
  }
  return header;
}

SamplingState read_sampling_state(hid_t segment_group, const std::string& where,
                                  uint64_t file_bytes) {
  SamplingStateHeader header = read_sampling_state_header(segment_group, where);
  const H5Group group(
      check_h5(H5Gopen2(segment_group, "state", H5P_DEFAULT), where + ": cannot open"));
  SamplingState state = std::move(header.fields);
  std::vector<uint64_t> checksums;
  state.latent = read_tensor_dataset(group.get(), "latent", where + "/latent", file_bytes);
  checksums.push_back(tensor_checksum(state.latent));
  if (!link_exists(group.get(), "history")) {
    throw CheckpointError(where + "/history is missing; the file is damaged");
  }
  const H5Group history(
      check_h5(H5Gopen2(group.get(), "history", H5P_DEFAULT), where + "/history: cannot open"));
  for (int64_t i = 0; i < header.history_length; ++i) {
    state.model_outputs.push_back(read_tensor_dataset(
        history.get(), history_name(i), where + "/history/" + history_name(i), file_bytes));
    checksums.push_back(tensor_checksum(state.model_outputs.back()));
  }
  if (link_exists(group.get(), "last_sample")) {
    state.last_sample =
        read_tensor_dataset(group.get(), "last_sample", where + "/last_sample", file_bytes);
    checksums.push_back(tensor_checksum(state.last_sample));
  }
  const uint64_t stored = read_uint_attribute(group.get(), "xxh64", where);
  if (header_checksum(state, header.history_length, checksums) != stored) {
    throw CheckpointError(where +
                          ": checksum mismatch over the state's fields; the file is damaged and "
                          "the segment must be recomputed from its start");
  }
  return state;
}

}  // namespace motionfarm::io
