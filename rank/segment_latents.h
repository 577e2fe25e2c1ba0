// The final latents of each finished segment, one safetensors file per segment in the job's state
// folder (`latents/<asset>/segment_<k>.safetensors`): what the next segment of the chain starts
// from, what the assembly decodes, and what a resumed job keeps instead of re-rendering.
//
// Written atomically (io/safetensors_writer.h: temporary, fsync, rename), so a file under its
// final name is always whole; the coordinator records its checksum in the ledger and a rerun
// uses the file only when the checksum still matches. (The HDF5 latent store of issue #8, with
// in-progress sampler state, replaces these files when it lands.)
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace motionfarm::rank {

// "<folder>/segment_003.safetensors".
std::string segment_latent_path(const std::string& folder, int64_t segment_index);

// latent: [1, z, T, h, w] float32. Creates `path`'s folder when missing.
void save_segment_latent(const std::string& path, const at::Tensor& latent);
// Throws InputError (naming the file) when it is missing or holds no "latent" tensor.
at::Tensor load_segment_latent(const std::string& path);

// FNV-1a 64 of the file's bytes as 16 hex digits; for a folder (PNG frames), of its files' names
// and bytes in name order. Throws Error when it cannot be read.
std::string file_checksum(const std::string& path);

}  // namespace motionfarm::rank
