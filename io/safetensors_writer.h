// Writing safetensors files: one file, or a sharded set with its index as the public releases
// ship them.
//
// Files are written atomically (a temporary name in the same folder, fsync, rename, fsync of the
// folder), so a reader never sees a half-written file and an interrupted run leaves the old one.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace motionfarm::io {

// Collects named tensors and metadata, then writes them as one file: the header JSON padded with
// spaces to a multiple of 8 bytes, then the tensors' bytes ordered by element size (largest
// first), then by name. That is the reference writer's order: with the padded header it puts
// every tensor at an offset aligned for its element type, so readers can view it without a copy
// (name order alone would put an F32 after a 3-element BF16 at a misaligned offset).
class SafetensorsWriter {
 public:
  // Copies `tensor` to a contiguous CPU tensor now, so later changes to it are not written.
  // Throws Error for an empty or duplicate name, "__metadata__", an undefined tensor, or a dtype
  // the format (or motionfarm) lacks.
  void add(const std::string& name, const at::Tensor& tensor);
  // Sets (or replaces) one "__metadata__" entry.
  void set_metadata(const std::string& key, const std::string& value);
  // Throws Error naming `path` when the file cannot be written.
  void write(const std::string& path) const;

  // Bytes write() will produce for the tensor data (header excluded).
  uint64_t data_bytes() const;

 private:
  std::map<std::string, at::Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` as shards of at most `max_shard_bytes` of tensor data each (a tensor larger
// than that gets a shard of its own), filled in the given order and named like the public releases
// (`<stem>-00001-of-00003.safetensors`), plus `<stem>.safetensors.index.json` with
// {"metadata": {"total_size": N}, "weight_map": {name: shard file name}}; `metadata` goes into
// every shard's __metadata__. Creates `directory` when
// missing; returns the index path. Throws Error for empty input, duplicate names or a zero limit.
std::string write_sharded_safetensors(
    const std::string& directory, const std::string& stem,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors, uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata = {});

}  // namespace motionfarm::io
