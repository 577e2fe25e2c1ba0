// A checkpoint stored as safetensors: one file, a sharded set described by an index, or a
// directory holding exactly one of either.
//
// The index (`<stem>.safetensors.index.json`, as the public releases ship) is
//   {"metadata": {...}, "weight_map": {"tensor name": "shard file name", ...}}
// with shard names relative to the index's folder. The weight_map is authoritative: it lists the
// checkpoint's tensors, each must be in the shard it names, and no tensor may be stored in two
// shards. Cheap to copy; tensors are zero-copy views that keep their shard mapped.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "io/safetensors_file.h"
#include "io/safetensors_header.h"

namespace motionfarm::io {

class SafetensorsCheckpoint {
 public:
  // `path` is a .safetensors file, a *.safetensors.index.json, or a directory holding exactly one
  // index (then its shards) or, with no index, exactly one .safetensors file. Opens and validates
  // every shard; throws InputError naming the file and the reason.
  static SafetensorsCheckpoint open(const std::string& path);

  std::vector<SafetensorsTensorInfo> tensors() const;                // all shards, sorted by name
  const SafetensorsTensorInfo* find(const std::string& name) const;  // nullptr when absent
  bool contains(const std::string& name) const;
  // Zero-copy CPU tensor in the stored dtype, as SafetensorsFile::tensor. Throws InputError
  // naming the checkpoint and the tensor when it is absent.
  at::Tensor tensor(const std::string& name) const;
  // Path of the shard holding `name`; throws InputError when absent.
  std::string file_of(const std::string& name) const;

  // What open() was given, for messages.
  const std::string& path() const;
  // The opened files: one for a single file, every shard (sorted by path) for an index.
  const std::vector<SafetensorsFile>& files() const;

 private:
  struct State;
  explicit SafetensorsCheckpoint(std::shared_ptr<const State> state);
  const SafetensorsFile* shard_of(const std::string& name) const;

  std::shared_ptr<const State> state_;
};

}  // namespace motionfarm::io
