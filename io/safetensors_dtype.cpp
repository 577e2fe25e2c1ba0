#include "io/safetensors_dtype.h"

#include <array>

namespace motionfarm::io {
namespace {

struct DtypeRow {
  SafetensorsDtype dtype;
  const char* name;
  at::ScalarType scalar_type;
  size_t bytes;
};

// The one table every conversion below reads.
constexpr std::array<DtypeRow, 10> kDtypes = {{
    {SafetensorsDtype::F64, "F64", at::kDouble, 8},
    {SafetensorsDtype::F32, "F32", at::kFloat, 4},
    {SafetensorsDtype::F16, "F16", at::kHalf, 2},
    {SafetensorsDtype::BF16, "BF16", at::kBFloat16, 2},
    {SafetensorsDtype::I64, "I64", at::kLong, 8},
    {SafetensorsDtype::I32, "I32", at::kInt, 4},
    {SafetensorsDtype::I16, "I16", at::kShort, 2},
    {SafetensorsDtype::I8, "I8", at::kChar, 1},
    {SafetensorsDtype::U8, "U8", at::kByte, 1},
    {SafetensorsDtype::BOOL, "BOOL", at::kBool, 1},
}};

const DtypeRow& row_of(SafetensorsDtype dtype) {
  for (const DtypeRow& row : kDtypes) {
    if (row.dtype == dtype) return row;
  }
  return kDtypes[0];  // unreachable: every enumerator has a row
}

}  // namespace

at::ScalarType to_scalar_type(SafetensorsDtype dtype) { return row_of(dtype).scalar_type; }

const char* to_string(SafetensorsDtype dtype) { return row_of(dtype).name; }

size_t element_size(SafetensorsDtype dtype) { return row_of(dtype).bytes; }

std::optional<SafetensorsDtype> parse_safetensors_dtype(std::string_view text) {
  for (const DtypeRow& row : kDtypes) {
    if (text == row.name) return row.dtype;
  }
  return std::nullopt;
}

std::optional<SafetensorsDtype> safetensors_dtype_of(at::ScalarType type) {
  for (const DtypeRow& row : kDtypes) {
    if (row.scalar_type == type) return row.dtype;
  }
  return std::nullopt;
}

const char* supported_safetensors_dtypes() {
  return "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";
}

}  // namespace motionfarm::io
