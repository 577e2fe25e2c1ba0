// Typed HDF5 attributes for the latent store: fixed-length UTF-8 strings, 64-bit integers,
// doubles and small integer arrays.
//
// Readers trust nothing in the file: each checks the attribute's type class, element count and
// size before reading, so a malformed or hostile attribute is a CheckpointError naming `where`
// (e.g. "store.h5 /segments/002/latents"), never a crash or a large allocation.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::io {

// The longest string attribute a reader accepts.
inline constexpr size_t kMaxStringAttributeBytes = 64 * 1024;

// Writers: create attribute `name` on `object` (a group or dataset), which must not have one yet.
void write_string_attribute(hid_t object, const std::string& name, const std::string& value);
void write_int_attribute(hid_t object, const std::string& name, int64_t value);
void write_uint_attribute(hid_t object, const std::string& name, uint64_t value);
void write_double_attribute(hid_t object, const std::string& name, double value);
void write_int_array_attribute(hid_t object, const std::string& name,
                               const std::vector<int64_t>& values);

bool has_attribute(hid_t object, const std::string& name);
// The names of every attribute on `object`, in creation order where the file tracks it.
std::vector<std::string> attribute_names(hid_t object, const std::string& where);

// Readers: throw CheckpointError("<where>: attribute <name> is missing / is not ...") when the
// attribute is absent or not what motionfarm writes.
std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where);
int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where);
uint64_t read_uint_attribute(hid_t object, const std::string& name, const std::string& where);
double read_double_attribute(hid_t object, const std::string& name, const std::string& where);
// At most `max_elements` values; more is rejected before reading.
std::vector<int64_t> read_int_array_attribute(hid_t object, const std::string& name,
                                              const std::string& where, size_t max_elements);

}  // namespace motionfarm::io
