// RAII owners for HDF5 identifiers, and the one place where HDF5 failures become exceptions.
//
// Every hid_t that io/ opens (file, group, dataset, dataspace, datatype, property list, attribute)
// lives in one of the owning types below and is closed exactly once. HDF5 reports failures by a
// negative return value plus an error stack it would otherwise print to stderr; check_h5() turns
// that stack into the message of a CheckpointError instead. Internal to io/: the public headers
// (latent_store.h) do not expose HDF5 types.
//
// HDF5's error settings are per thread in thread-safe builds (Debian's is one), so every entry
// point calls quiet_hdf5_errors() for its own thread; it is cheap after the first call.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace motionfarm::io {

// Owns one HDF5 identifier; `Close` (H5Fclose, H5Dclose, ...) releases it. Movable, not copyable.
template <herr_t (*Close)(hid_t)>
class H5Handle {
 public:
  H5Handle() = default;
  // Takes ownership of `id` (a negative id, HDF5's failure value, is held as "no handle").
  explicit H5Handle(hid_t id) : id_(id) {}
  ~H5Handle() { close(); }
  H5Handle(H5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  H5Handle& operator=(H5Handle&& other) noexcept {
    if (this != &other) {
      close();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Releases now and returns HDF5's result (negative on failure): closing a file is where its
  // last metadata is written, so a writer checks it instead of leaving it to the destructor.
  herr_t close() {
    if (id_ < 0) return 0;
    return Close(std::exchange(id_, H5I_INVALID_HID));
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using H5File = H5Handle<&H5Fclose>;
using H5Group = H5Handle<&H5Gclose>;
using H5Dataset = H5Handle<&H5Dclose>;
using H5Dataspace = H5Handle<&H5Sclose>;
// Only for types the caller owns (H5Tcopy, H5Dget_type, H5Aget_type); never a predefined type.
using H5Datatype = H5Handle<&H5Tclose>;
using H5PropertyList = H5Handle<&H5Pclose>;
using H5Attribute = H5Handle<&H5Aclose>;

// Stops HDF5 from printing error stacks to stderr on the calling thread.
void quiet_hdf5_errors();

// The calling thread's HDF5 error stack as one line, outermost call first
// ("unable to open file; unable to read superblock; truncated file: eof = 96, ..."), and clears it.
// Empty when the stack is.
std::string take_hdf5_error_stack();

// The out-of-space errno (core/disk_full.h) a failed write in `stack` (a take_hdf5_error_stack()
// text) reports, or 0 when it reports none.
int out_of_space_errno(const std::string& stack);

// Throws, for the calling thread's HDF5 error stack (taken and cleared): DiskFullError("<context>:
// the disk is full ...") when a write in it failed for lack of room, else
// CheckpointError("<context>: <error stack>").
[[noreturn]] void throw_hdf5_failure(const std::string& context);

// Throws as throw_hdf5_failure() when `result` is negative (HDF5's failure value for hid_t, herr_t
// and htri_t alike); returns it otherwise.
template <class Result>
Result check_h5(Result result, const std::string& context) {
  if (result < 0) throw_hdf5_failure(context);
  return result;
}

// The HDF5 library's version, e.g. "1.10.8".
std::string hdf5_library_version();

}  // namespace motionfarm::io
