// The element types of the safetensors format and their LibTorch equivalents.
//
// The format also names FP8 and unsigned 16/32/64-bit types; motionfarm reads and writes only the
// types below, and a file with any other dtype is rejected by name at open.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace motionfarm::io {

enum class SafetensorsDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

at::ScalarType to_scalar_type(SafetensorsDtype dtype);
// The format's spelling: "F32", "BF16", "BOOL", ...
const char* to_string(SafetensorsDtype dtype);
// Bytes per element.
size_t element_size(SafetensorsDtype dtype);
// Parses the format's spelling; nullopt for a dtype motionfarm does not read.
std::optional<SafetensorsDtype> parse_safetensors_dtype(std::string_view text);
// The dtype a LibTorch tensor is stored as; nullopt for types the format (or motionfarm) lacks.
std::optional<SafetensorsDtype> safetensors_dtype_of(at::ScalarType type);
// "F64, F32, ..." for error messages.
const char* supported_safetensors_dtypes();

}  // namespace motionfarm::io
