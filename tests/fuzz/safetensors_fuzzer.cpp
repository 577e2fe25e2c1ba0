// libFuzzer target: the safetensors header parser (io/safetensors_header.h), in memory.
//
// An input is a whole file. The parser must either throw InputError or return a header whose
// tensors tile the data section exactly, each one's byte count matching its dtype and shape; any
// other exception, a sanitizer report, or a broken invariant is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/safetensors_header.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using motionfarm::fuzz::invariant_failed;

void check_header(const motionfarm::io::SafetensorsHeader& header, uint64_t file_size) {
  if (header.data_section_offset < 8 || header.data_section_offset > file_size) {
    invariant_failed("data section offset outside the file");
  }
  const uint64_t data_bytes = file_size - header.data_section_offset;
  uint64_t covered = 0;
  for (const auto& tensor : header.tensors) {
    if (tensor.data_begin > tensor.data_end || tensor.data_end > data_bytes) {
      invariant_failed("tensor \"" + tensor.name + "\" reaches outside the data section");
    }
    uint64_t numel = 1;
    for (const int64_t extent : tensor.shape) {
      if (extent < 0) invariant_failed("negative extent accepted");
      numel *= static_cast<uint64_t>(extent);
    }
    if (numel * motionfarm::io::element_size(tensor.dtype) != tensor.data_end - tensor.data_begin) {
      invariant_failed("tensor \"" + tensor.name + "\" byte count does not match its shape");
    }
    covered += tensor.data_end - tensor.data_begin;
  }
  if (covered != data_bytes) invariant_failed("tensors do not tile the data section");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = motionfarm::io::parse_safetensors_header(size == 0 ? nullptr : data, size,
                                                                 "fuzz.safetensors");
    check_header(header, size);
  } catch (const motionfarm::InputError&) {
    // The documented way to refuse a file.
  }
  return 0;
}
