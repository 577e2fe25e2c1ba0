#include "io/safetensors_header.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/check.h"

namespace motionfarm::io {
namespace {

using Json = nlohmann::json;

constexpr const char* kMetadataKey = "__metadata__";

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

uint64_t read_le64(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// Parses the JSON text, rejecting what nlohmann would silently accept: a repeated key (it keeps
// the last one, so a second "weight" entry would hide the first) and nesting deeper than the
// format uses (top object -> entry -> shape array), which would only cost memory.
Json parse_json(const char* begin, const char* end, const std::string& path) {
  std::vector<std::set<std::string>> keys_per_object;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        MF_CHECK(depth < 3, InputError,
                 path << ": header nests JSON deeper than the safetensors format allows");
        if (event == Json::parse_event_t::object_start) keys_per_object.emplace_back();
        break;
      case Json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        MF_CHECK(keys_per_object.back().insert(key).second, InputError,
                 path << ": header names \"" << key << "\" twice");
        break;
      }
      case Json::parse_event_t::object_end:
        keys_per_object.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(begin, end, callback);
  } catch (const Json::exception& error) {
    MF_CHECK(false, InputError, path << ": header is not valid JSON: " << error.what());
  }
  return {};
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& path) {
  MF_CHECK(value.is_object(), InputError, path << ": \"__metadata__\" is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : value.items()) {
    MF_CHECK(entry.is_string(), InputError,
             path << ": \"__metadata__\" value of \"" << key << "\" is not a string");
    metadata.emplace(key, entry.get<std::string>());
  }
  return metadata;
}

const Json& required_field(const Json& entry, const char* field, const std::string& name,
                           const std::string& path) {
  const auto found = entry.find(field);
  MF_CHECK(found != entry.end(), InputError,
           path << ": tensor \"" << name << "\" has no \"" << field << "\"");
  return *found;
}

SafetensorsTensorInfo parse_entry(const std::string& name, const Json& entry,
                                  const std::string& path) {
  MF_CHECK(entry.is_object(), InputError,
           path << ": entry \"" << name << "\" is not a JSON object");
  SafetensorsTensorInfo info;
  info.name = name;

  const Json& dtype = required_field(entry, "dtype", name, path);
  MF_CHECK(dtype.is_string(), InputError,
           path << ": tensor \"" << name << "\" has a dtype that is not a string");
  const auto parsed_dtype = parse_safetensors_dtype(dtype.get_ref<const std::string&>());
  MF_CHECK(parsed_dtype.has_value(), InputError,
           path << ": tensor \"" << name << "\" has unsupported dtype \""
                << dtype.get_ref<const std::string&>()
                << "\" (motionfarm reads: " << supported_safetensors_dtypes() << ")");
  info.dtype = *parsed_dtype;

  const Json& shape = required_field(entry, "shape", name, path);
  MF_CHECK(shape.is_array(), InputError,
           path << ": tensor \"" << name << "\" has a shape that is not an array");
  // Counted in uint64 with overflow checks; the result must also fit at::Tensor's int64 sizes.
  uint64_t numel = 1;
  for (const Json& dim : shape) {
    MF_CHECK(dim.is_number_integer(), InputError,
             path << ": tensor \"" << name
                  << "\" has a shape entry that is not an integer: " << dim.dump());
    MF_CHECK(dim.is_number_unsigned(), InputError,
             path << ": tensor \"" << name << "\" has a negative shape entry " << dim.dump());
    const auto extent = dim.get<uint64_t>();
    MF_CHECK(extent <= static_cast<uint64_t>(INT64_MAX) &&
                 !__builtin_mul_overflow(numel, extent, &numel) &&
                 numel <= static_cast<uint64_t>(INT64_MAX),
             InputError,
             path << ": tensor \"" << name
                  << "\" has a shape whose element count overflows: " << shape.dump());
    info.shape.push_back(static_cast<int64_t>(extent));
  }

  const Json& offsets = required_field(entry, "data_offsets", name, path);
  MF_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
               offsets[1].is_number_unsigned(),
           InputError,
           path << ": tensor \"" << name
                << "\" has data_offsets that are not two non-negative integers [begin, end]: "
                << offsets.dump());
  info.data_begin = offsets[0].get<uint64_t>();
  info.data_end = offsets[1].get<uint64_t>();
  MF_CHECK(info.data_begin <= info.data_end, InputError,
           path << ": tensor \"" << name << "\" has data_offsets whose end " << info.data_end
                << " is before its begin " << info.data_begin);

  uint64_t expected_bytes = 0;
  const bool overflow = __builtin_mul_overflow(numel, element_size(info.dtype), &expected_bytes);
  MF_CHECK(!overflow && info.data_end - info.data_begin == expected_bytes, InputError,
           path << ": tensor \"" << name << "\" holds " << info.data_end - info.data_begin
                << " bytes but dtype " << to_string(info.dtype) << " with shape "
                << shape_text(info.shape) << " needs " << numel << " x " << element_size(info.dtype)
                << " bytes");
  return info;
}

// The format requires the tensors to tile the data section exactly: no byte read twice, none
// left over (a hole hides data no tensor accounts for).
void check_tiling(const std::vector<SafetensorsTensorInfo>& tensors, uint64_t data_bytes,
                  const std::string& path) {
  std::vector<const SafetensorsTensorInfo*> by_offset;
  for (const auto& info : tensors) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return std::pair(a->data_begin, a->data_end) < std::pair(b->data_begin, b->data_end);
  });
  uint64_t covered = 0;
  const SafetensorsTensorInfo* previous = nullptr;
  for (const auto* info : by_offset) {
    MF_CHECK(info->data_end <= data_bytes, InputError,
             path << ": tensor \"" << info->name << "\" ends at byte " << info->data_end
                  << " but the data section holds only " << data_bytes
                  << " bytes (is the file truncated?)");
    MF_CHECK(info->data_begin >= covered, InputError,
             path << ": tensors \"" << previous->name << "\" [" << previous->data_begin << ", "
                  << previous->data_end << ") and \"" << info->name << "\" [" << info->data_begin
                  << ", " << info->data_end << ") overlap");
    MF_CHECK(info->data_begin == covered, InputError,
             path << ": data bytes [" << covered << ", " << info->data_begin
                  << ") belong to no tensor (a hole before \"" << info->name << "\")");
    covered = info->data_end;
    previous = info;
  }
  MF_CHECK(covered == data_bytes, InputError,
           path << ": data bytes [" << covered << ", " << data_bytes
                << ") after the last tensor belong to no tensor");
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t file_size,
                                           const std::string& path) {
  MF_CHECK(file_size > 0, InputError, path << ": file is empty, not a safetensors file");
  MF_CHECK(file_size >= 8, InputError,
           path << ": file is " << file_size
                << " bytes, too short for the 8-byte header length of a safetensors file");
  const uint64_t header_bytes = read_le64(bytes);
  MF_CHECK(header_bytes <= kMaxSafetensorsHeaderBytes, InputError,
           path << ": header length " << header_bytes << " exceeds the limit of "
                << kMaxSafetensorsHeaderBytes << " bytes (not a safetensors file?)");
  MF_CHECK(header_bytes <= file_size - 8, InputError,
           path << ": header length " << header_bytes << " runs past the end of the " << file_size
                << "-byte file (is the file truncated?)");

  const char* text = reinterpret_cast<const char*>(bytes + 8);
  const Json root = parse_json(text, text + header_bytes, path);
  MF_CHECK(root.is_object(), InputError, path << ": header is not a JSON object");

  SafetensorsHeader header;
  header.data_section_offset = 8 + header_bytes;
  for (const auto& [name, entry] : root.items()) {
    if (name == kMetadataKey) {
      header.metadata = parse_metadata(entry, path);
    } else {
      header.tensors.push_back(parse_entry(name, entry, path));
    }
  }
  check_tiling(header.tensors, file_size - header.data_section_offset, path);
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return header;
}

}  // namespace motionfarm::io
