// Fixtures shared by the latent store tests: an identity, stores with known contents, and
// sampler states whose values say which step they belong to.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "io/latent_store.h"

namespace motionfarm::io::latent_store_test {

LatentStoreIdentity identity();
LatentStoreMeta meta();

// A [16, 3, 8, 12] latent (or `shape`) of varied values (repeating every 977 elements) in
// [10 tag, 10 tag + 9.77), so tensors with different integer tags share no value.
at::Tensor tagged_latent(double tag, at::ScalarType dtype = at::kFloat,
                         at::IntArrayRef shape = {16, 3, 8, 12});

// A UniPC-like state at `step` of 10: latent and history tensors tagged by the step.
SamplingState tagged_state(int64_t step, at::IntArrayRef shape = {16, 3, 8, 12});

// Same dtype, shape and bytes.
bool bitwise_equal(const at::Tensor& a, const at::Tensor& b);

// The file's bytes; and a write of `bytes` over it.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace motionfarm::io::latent_store_test
