#include "io/hdf5_handles.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "core/disk_full.h"

namespace motionfarm::io {
namespace {

// Collects each entry's description; HDF5 calls this once per stack entry.
herr_t collect_entry(unsigned /*index*/, const H5E_error2_t* entry, void* client_data) {
  auto& descriptions = *static_cast<std::vector<std::string>*>(client_data);
  std::string text = entry->desc != nullptr ? entry->desc : "";
  if (text.empty()) {
    // Some entries carry their meaning only in the minor message ("file signature not found").
    char minor[160] = {};
    if (H5Eget_msg(entry->min_num, nullptr, minor, sizeof(minor)) > 0) text = minor;
  }
  if (!text.empty() && (descriptions.empty() || descriptions.back() != text)) {
    descriptions.push_back(std::move(text));
  }
  return 0;
}

}  // namespace

void quiet_hdf5_errors() {
  thread_local bool quiet = false;
  if (quiet) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  quiet = true;
}

std::string take_hdf5_error_stack() {
  std::vector<std::string> descriptions;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, &collect_entry, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  std::string joined;
  for (const std::string& text : descriptions) {
    if (!joined.empty()) joined += "; ";
    joined += text;
  }
  return joined.empty() ? "HDF5 reported no details" : joined;
}

int out_of_space_errno(const std::string& stack) {
  // The POSIX driver reports a failed write(2) as "file write failed: ..., errno = 28, ...".
  const std::string marker = "errno = ";
  for (size_t at = stack.find(marker); at != std::string::npos;
       at = stack.find(marker, at + marker.size())) {
    const int code = std::atoi(stack.c_str() + at + marker.size());
    if (core::is_out_of_space(code)) return code;
  }
  return 0;
}

void throw_hdf5_failure(const std::string& context) {
  const std::string stack = take_hdf5_error_stack();
  if (const int code = out_of_space_errno(stack)) {
    throw DiskFullError(context + ": " + core::disk_full_text(code));
  }
  throw CheckpointError(context + ": " + stack);
}

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace motionfarm::io
