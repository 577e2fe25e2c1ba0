// Parsing and validating the header of a safetensors file.
//
// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON (tensor name ->
// {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional "__metadata__" object of
// strings), then the data section. Files come from strangers, so every field is checked before
// anything reads tensor bytes: a file that passes lets each tensor view exactly
// [data_begin, data_end) of a data section that it tiles with no overlap and no hole.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors_dtype.h"

namespace motionfarm::io {

struct SafetensorsTensorInfo {
  std::string name;
  SafetensorsDtype dtype;
  std::vector<int64_t> shape;
  uint64_t data_begin = 0;  // byte offsets relative to the start of the data section
  uint64_t data_end = 0;
};

// What a valid header says about its file.
struct SafetensorsHeader {
  std::vector<SafetensorsTensorInfo> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t data_section_offset = 0;  // 8 + header length
};

// Headers longer than this are rejected before parsing: real checkpoints need well under 1 MiB,
// and the cap bounds the memory a hostile file can make the parser allocate.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;

// Validates the `file_size` bytes of a whole file (`bytes` may be null when the size is 0) and
// returns its header. Throws InputError naming `path` and the reason.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t file_size,
                                           const std::string& path);

}  // namespace motionfarm::io
