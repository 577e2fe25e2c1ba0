// The file-level half of the latent store (internal to io/): opening a store file for reading
// with each failure named, writing the next version of it under a temporary name and renaming it
// into place, and the /meta group. latent_store.h describes the layout and the crash-safety scheme.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <string>

#include "io/hdf5_handles.h"
#include "io/latent_store.h"
#include "io/staged_output.h"

namespace motionfarm::io {

// "007" for 7.
std::string segment_name(int index);
// "/segments/007" for 7.
std::string segment_group_path(int index);
// "segments/007": the name under the root, for H5Ocopy and H5Lexists.
std::string segment_link_name(int index);
// 7 for "007"; -1 for anything that is not exactly three digits.
int parse_segment_name(const std::string& name);

// A store file opened read-only, and its size in bytes (what any dataset must fit in).
struct OpenedStoreFile {
  H5File file;
  uint64_t file_bytes = 0;
};

// Opens `path` read-only. Throws CheckpointError saying whether the file is missing, not an HDF5
// file, or an HDF5 file that is truncated or damaged.
OpenedStoreFile open_store_file(const std::string& path);

// The next version of a store file, built in memory and written under a temporary name beside
// the store by commit(). Removes the temporary on destruction unless commit() succeeded.
class StoreFileWriter {
 public:
  explicit StoreFileWriter(const std::string& path);
  ~StoreFileWriter();
  struct MemoryImage;  // the file's bytes while HDF5 builds it (latent_store_file.cpp)
  StoreFileWriter(const StoreFileWriter&) = delete;
  StoreFileWriter& operator=(const StoreFileWriter&) = delete;
  hid_t file() const { return file_.get(); }
  const std::string& temporary_path() const { return staged_.temporary_path(); }
  // Writes the file to the temporary, flushes it to disk and renames it over the store. Every
  // group, dataset and attribute opened in file() must be closed by then, or the close (and so
  // this) throws. DiskFullError when the disk is full: the store keeps its previous version.
  void commit();

 private:
  StagedOutput staged_;
  std::unique_ptr<MemoryImage> image_;  // outlives file_, whose close hands it the final bytes
  H5File file_;
};

// Group creation properties without timestamps, so equal content gives equal files.
H5PropertyList untimed_group_properties();

// Writes /meta and /meta/extra into `file`, with kLatentStoreFormatVersion and this build's
// version (whatever `meta` says for those).
void write_store_meta(hid_t file, const LatentStoreMeta& meta);
// Reads and verifies /meta. Throws CheckpointError naming `path` when it is missing, of another
// format version, or its checksum does not match.
LatentStoreMeta read_store_meta(hid_t file, const std::string& path);

}  // namespace motionfarm::io
