#include "io/hdf5_attributes.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "io/hdf5_handles.h"

namespace motionfarm::io {
namespace {

H5Attribute create_attribute(hid_t object, const std::string& name, hid_t type, hid_t space) {
  return H5Attribute(
      check_h5(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
               "cannot create attribute " + name));
}

void write_scalar(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                  const void* value) {
  const H5Dataspace space(check_h5(H5Screate(H5S_SCALAR), "cannot create a dataspace"));
  const H5Attribute attribute = create_attribute(object, name, file_type, space.get());
  check_h5(H5Awrite(attribute.get(), memory_type, value), "cannot write attribute " + name);
}

[[noreturn]] void throw_malformed(const std::string& where, const std::string& name,
                                  const std::string& what) {
  throw CheckpointError(where + ": attribute " + name + " " + what +
                        "; the file was not written by motionfarm or is damaged");
}

H5Attribute open_attribute(hid_t object, const std::string& name, const std::string& where) {
  quiet_hdf5_errors();
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists == 0) {
    throw CheckpointError(where + ": attribute " + name +
                          " is missing; the file was not written by motionfarm or is damaged");
  }
  check_h5(exists, where + ": cannot look up attribute " + name);
  return H5Attribute(check_h5(H5Aopen(object, name.c_str(), H5P_DEFAULT),
                              where + ": cannot open attribute " + name));
}

// Element count of the attribute's dataspace: 1 for a scalar; rejects the null dataspace.
hssize_t element_count(const H5Attribute& attribute, const std::string& name,
                       const std::string& where) {
  const H5Dataspace space(
      check_h5(H5Aget_space(attribute.get()), where + ": cannot read attribute " + name));
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  if (space_class == H5S_SCALAR) return 1;
  if (space_class != H5S_SIMPLE) throw_malformed(where, name, "has no value");
  return check_h5(H5Sget_simple_extent_npoints(space.get()),
                  where + ": cannot read attribute " + name);
}

// Opens a one-element attribute of type class `expected`.
H5Attribute open_scalar(hid_t object, const std::string& name, const std::string& where,
                        H5T_class_t expected, const char* expected_text) {
  H5Attribute attribute = open_attribute(object, name, where);
  const H5Datatype type(
      check_h5(H5Aget_type(attribute.get()), where + ": cannot read attribute " + name));
  if (H5Tget_class(type.get()) != expected) {
    throw_malformed(where, name, std::string("is not ") + expected_text);
  }
  if (element_count(attribute, name, where) != 1) {
    throw_malformed(where, name, std::string("is not a single ") + expected_text);
  }
  return attribute;
}

}  // namespace

void write_string_attribute(hid_t object, const std::string& name, const std::string& value) {
  quiet_hdf5_errors();
  // Fixed length, null-padded: h5dump and h5py show it as text, and a reader knows its size
  // before reading. HDF5 has no zero-length string type, so "" is stored as one NUL.
  const H5Datatype type(check_h5(H5Tcopy(H5T_C_S1), "cannot create a string type"));
  check_h5(H5Tset_size(type.get(), value.empty() ? 1 : value.size()),
           "cannot size attribute " + name);
  check_h5(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "cannot create attribute " + name);
  check_h5(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create attribute " + name);
  const std::string stored = value.empty() ? std::string(1, '\0') : value;
  write_scalar(object, name, type.get(), type.get(), stored.data());
}

void write_int_attribute(hid_t object, const std::string& name, int64_t value) {
  quiet_hdf5_errors();
  write_scalar(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void write_uint_attribute(hid_t object, const std::string& name, uint64_t value) {
  quiet_hdf5_errors();
  write_scalar(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

void write_double_attribute(hid_t object, const std::string& name, double value) {
  quiet_hdf5_errors();
  write_scalar(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_int_array_attribute(hid_t object, const std::string& name,
                               const std::vector<int64_t>& values) {
  quiet_hdf5_errors();
  const hsize_t count = values.size();
  // An empty array (a 0-d tensor's shape) is a simple dataspace of zero elements.
  const H5Dataspace space(
      check_h5(H5Screate_simple(1, &count, nullptr), "cannot create a dataspace"));
  const H5Attribute attribute = create_attribute(object, name, H5T_STD_I64LE, space.get());
  if (!values.empty()) {
    check_h5(H5Awrite(attribute.get(), H5T_NATIVE_INT64, values.data()),
             "cannot write attribute " + name);
  }
}

bool has_attribute(hid_t object, const std::string& name) {
  quiet_hdf5_errors();
  return check_h5(H5Aexists(object, name.c_str()), "cannot look up attribute " + name) > 0;
}

std::vector<std::string> attribute_names(hid_t object, const std::string& where) {
  quiet_hdf5_errors();
  // H5Aiterate2 (not H5Oget_info*) because its signature is the same from HDF5 1.8 to 1.14.
  std::vector<std::string> names;
  hsize_t position = 0;
  check_h5(H5Aiterate2(
               object, H5_INDEX_NAME, H5_ITER_INC, &position,
               [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
                 static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                 return 0;
               },
               &names),
           where + ": cannot list attributes");
  return names;
}

std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where) {
  const H5Attribute attribute = open_scalar(object, name, where, H5T_STRING, "a string");
  const H5Datatype type(
      check_h5(H5Aget_type(attribute.get()), where + ": cannot read attribute " + name));
  const htri_t variable = check_h5(H5Tis_variable_str(type.get()), where + ": attribute " + name);
  if (variable > 0) throw_malformed(where, name, "is a variable-length string");
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > kMaxStringAttributeBytes) {
    throw_malformed(where, name,
                    "claims " + std::to_string(size) + " bytes (at most " +
                        std::to_string(kMaxStringAttributeBytes) + " are accepted)");
  }
  // Read through a memory type of the same size and padding, so HDF5 copies the bytes as stored.
  std::string value(size, '\0');
  check_h5(H5Aread(attribute.get(), type.get(), value.data()),
           where + ": cannot read attribute " + name);
  const size_t end = value.find('\0');
  if (end != std::string::npos) value.resize(end);
  return value;
}

int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where) {
  const H5Attribute attribute = open_scalar(object, name, where, H5T_INTEGER, "an integer");
  int64_t value = 0;
  check_h5(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value),
           where + ": cannot read attribute " + name);
  return value;
}

uint64_t read_uint_attribute(hid_t object, const std::string& name, const std::string& where) {
  const H5Attribute attribute = open_scalar(object, name, where, H5T_INTEGER, "an integer");
  uint64_t value = 0;
  check_h5(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value),
           where + ": cannot read attribute " + name);
  return value;
}

double read_double_attribute(hid_t object, const std::string& name, const std::string& where) {
  const H5Attribute attribute = open_scalar(object, name, where, H5T_FLOAT, "a number");
  double value = 0;
  check_h5(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value),
           where + ": cannot read attribute " + name);
  return value;
}

std::vector<int64_t> read_int_array_attribute(hid_t object, const std::string& name,
                                              const std::string& where, size_t max_elements) {
  const H5Attribute attribute = open_attribute(object, name, where);
  const H5Datatype type(
      check_h5(H5Aget_type(attribute.get()), where + ": cannot read attribute " + name));
  if (H5Tget_class(type.get()) != H5T_INTEGER) {
    throw_malformed(where, name, "is not an integer array");
  }
  const hssize_t count = element_count(attribute, name, where);
  if (count < 0 || static_cast<size_t>(count) > max_elements) {
    throw_malformed(where, name,
                    "holds " + std::to_string(count) + " values (at most " +
                        std::to_string(max_elements) + " are accepted)");
  }
  std::vector<int64_t> values(static_cast<size_t>(count));
  if (!values.empty()) {
    check_h5(H5Aread(attribute.get(), H5T_NATIVE_INT64, values.data()),
             where + ": cannot read attribute " + name);
  }
  return values;
}

}  // namespace motionfarm::io
