// One .safetensors file, memory-mapped and validated at open.
//
// Cheap to copy: copies share the mapping and the parsed header. Tensors returned by tensor()
// view the mapping without copying and keep it alive, so they may outlive every SafetensorsFile.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors_dtype.h"
#include "io/safetensors_header.h"

namespace motionfarm::io {

class MappedFile;

class SafetensorsFile {
 public:
  // Maps and validates the whole header (see safetensors_header.h); throws InputError naming the
  // file and the reason. Fails on big-endian hosts, which the format's byte order does not fit.
  static SafetensorsFile open(const std::string& path);

  const std::string& path() const;
  const std::vector<SafetensorsTensorInfo>& tensors() const;         // sorted by name
  const SafetensorsTensorInfo* find(const std::string& name) const;  // nullptr when absent
  bool contains(const std::string& name) const;
  // A CPU tensor in the stored dtype (BF16 stays at::kBFloat16, F16 at::kHalf; the caller
  // converts). Zero-copy over the mapping when the bytes are aligned for the element type, which
  // they are in files written with the format's 8-byte header padding; otherwise a copy.
  // Throws InputError (naming file and tensor) when the name is absent, or when a BOOL tensor
  // holds a byte other than 0 or 1.
  at::Tensor tensor(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const;  // the "__metadata__" object

  // The data section inside the mapping: tensor `t` lies at data_section() + t.data_begin.
  const uint8_t* data_section() const;
  uint64_t data_section_bytes() const;

 private:
  struct State;
  explicit SafetensorsFile(std::shared_ptr<const State> state);

  std::shared_ptr<const State> state_;
};

}  // namespace motionfarm::io
