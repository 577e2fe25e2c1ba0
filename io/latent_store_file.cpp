#include "io/latent_store_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "core/disk_full.h"
#include "core/error.h"
#include "io/hdf5_attributes.h"
#include "io/xxhash64.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;

// More extra attributes than this is not something motionfarm wrote.
constexpr size_t kMaxExtraEntries = 1000;

// File access without HDF5's flock(): each version of a store is written once under a private
// temporary name, so there is nothing to lock, and flock fails on some cluster filesystems.
// H5F_CLOSE_SEMI makes H5Fclose fail while an object of the file is still open, instead of
// silently deferring the close (and the final metadata writes) until that object closes: the
// writer must not rename a file whose last writes are still pending.
// The 1.10 file format (superblock version 3): every metadata block -- superblock, object
// headers, chunk indices, attribute heaps -- carries a checksum that libhdf5 verifies before
// decoding it. libhdf5 1.10.8 over-reads the heap decoding a damaged version-0 object header
// (found by tests/fuzz/latent_store_fuzzer), so a store is only handed to it once the checksums
// can stop a damaged block first.
H5PropertyList file_access_properties() {
  H5PropertyList access(check_h5(H5Pcreate(H5P_FILE_ACCESS), "cannot create file properties"));
  check_h5(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "cannot set file properties");
  check_h5(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST),
           "cannot set file properties");
#if H5_VERSION_GE(1, 10, 7)
  check_h5(H5Pset_file_locking(access.get(), false, true), "cannot set file properties");
#endif
  return access;
}

// The superblock version after the HDF5 signature at the start of the file; -1 when the file does
// not start with the signature.
int superblock_version(const std::string& path) {
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char head[9] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(head, sizeof(head)) || !std::equal(head, head + 8, kSignature)) return -1;
  return static_cast<uint8_t>(head[8]);
}

// Superblocks from version 2 on carry a checksum, and so do the objects of files that have them.
constexpr int kFirstChecksummedSuperblock = 2;

uint64_t meta_checksum(const LatentStoreMeta& meta) {
  Xxhash64 hash;
  hash.update_field("format_version", std::to_string(meta.format_version));
  hash.update_field("model_id", meta.identity.model_id);
  hash.update_field("model_config_hash", meta.identity.model_config_hash);
  hash.update_field("seed", std::to_string(meta.identity.seed));
  hash.update_field("prompt_hash", meta.identity.prompt_hash);
  hash.update_field("motionfarm_version", meta.motionfarm_version);
  for (const auto& [key, value] : meta.extra) hash.update_field("extra:" + key, value);
  return hash.digest();
}

}  // namespace

std::string segment_group_path(int index) { return "/" + segment_link_name(index); }

std::string segment_name(int index) {
  char name[16];
  std::snprintf(name, sizeof(name), "%03d", index);
  return name;
}

std::string segment_link_name(int index) { return "segments/" + segment_name(index); }

int parse_segment_name(const std::string& name) {
  if (name.size() != 3) return -1;
  int index = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    index = index * 10 + (c - '0');
  }
  return index;
}

OpenedStoreFile open_store_file(const std::string& path) {
  quiet_hdf5_errors();
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    throw CheckpointError("no latent checkpoint at " + path + " (the file does not exist)");
  }
  if (!fs::is_regular_file(status)) {
    throw CheckpointError(path + " is not a regular file, so it is not a latent checkpoint");
  }
  // motionfarm never writes a user block, so the signature must start the file.
  const int superblock = superblock_version(path);
  if (superblock < 0) {
    throw CheckpointError(path + " is not an HDF5 file" +
                          (fs::file_size(path, error) == 0 ? " (it is empty)" : "") +
                          ", so it is not a latent checkpoint; remove it to recompute");
  }
  // Checked before libhdf5 parses anything (see file_access_properties()).
  if (superblock < kFirstChecksummedSuperblock) {
    throw CheckpointError(path +
                          " is an HDF5 file without metadata checksums (superblock version " +
                          std::to_string(superblock) +
                          "), so it was not written by this motionfarm and cannot be verified "
                          "before it is read; remove it to recompute its segments");
  }
  const H5PropertyList access = file_access_properties();
  OpenedStoreFile opened;
  opened.file = H5File(H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get()));
  if (!opened.file.valid()) {
    const std::string stack = take_hdf5_error_stack();
    if (stack.find("truncated") != std::string::npos) {
      throw CheckpointError(path + " is truncated (" + stack +
                            "); it cannot be used and its segments must be recomputed");
    }
    throw CheckpointError(path + " is a damaged HDF5 file (" + stack +
                          "); it cannot be used and its segments must be recomputed");
  }
  hsize_t size = 0;
  check_h5(H5Fget_filesize(opened.file.get(), &size), path + ": cannot read the file size");
  opened.file_bytes = size;
  return opened;
}

// The writer's file lives in memory (HDF5's core driver, no backing store) and reaches the disk
// through write_image(), never through libhdf5's own writes: libhdf5 1.10.8 does not survive a
// write that fails for a full disk (its H5Fclose fails half-way through, frees the file yet keeps
// its id, and the library then crashes on that id at exit: tests/unit/io/disk_full_test.cpp).
// The bytes are taken when the file closes, through the driver's image callbacks, because only
// the close finishes them (H5Fget_file_image of an open 1.10-format file has a stale superblock
// checksum). A store is rewritten whole on every update anyway; the cost is holding it in memory.
struct StoreFileWriter::MemoryImage {
  void* data = nullptr;  // the driver's buffer, once the file has closed
  size_t allocated = 0;  // bytes in the driver's buffer
  ~MemoryImage() { std::free(data); }
};

namespace {

using MemoryImage = StoreFileWriter::MemoryImage;

void* image_malloc(size_t size, H5FD_file_image_op_t, void* udata) {
  static_cast<MemoryImage*>(udata)->allocated = size;
  return std::malloc(size);
}
void* image_memcpy(void* dest, const void* src, size_t size, H5FD_file_image_op_t, void*) {
  return std::memcpy(dest, src, size);
}
void* image_realloc(void* data, size_t size, H5FD_file_image_op_t, void* udata) {
  static_cast<MemoryImage*>(udata)->allocated = size;
  return std::realloc(data, size);
}
herr_t image_free(void* data, H5FD_file_image_op_t op, void* udata) {
  if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) {
    MemoryImage& image = *static_cast<MemoryImage*>(udata);
    std::free(image.data);
    image.data = data;  // kept for commit()
  } else {
    std::free(data);
  }
  return 0;
}
void* udata_copy(void* udata) { return udata; }
herr_t udata_free(void*) { return 0; }

H5PropertyList writer_access_properties(MemoryImage& image) {
  H5PropertyList access = file_access_properties();
  check_h5(H5Pset_fapl_core(access.get(), size_t{1} << 20, false), "cannot set file properties");
  H5FD_file_image_callbacks_t callbacks = {
      &image_malloc, &image_memcpy, &image_realloc, &image_free, &udata_copy, &udata_free, &image};
  check_h5(H5Pset_file_image_callbacks(access.get(), &callbacks), "cannot set file properties");
  return access;
}

// The end-of-file address the superblock at the start of `image` records, or `size` when the
// image does not start with a superblock this knows (HDF5 File Format Specification, "Superblock":
// versions 0 and 1 keep it after the free-space address, versions 2 and 3 after the extension's).
size_t superblock_end_of_file(const char* image, size_t size) {
  const auto byte = [&](size_t at) { return static_cast<uint8_t>(image[at]); };
  if (size < 16 || std::memcmp(image, "\x89HDF\r\n\x1a\n", 8) != 0) return size;
  const int version = byte(8);
  const size_t offset_size = version <= 1 ? byte(13) : byte(9);
  if (offset_size != 8 || version > 3) return size;
  const size_t at = version == 0   ? 24 + 2 * offset_size
                    : version == 1 ? 28 + 2 * offset_size
                                   : 12 + 2 * offset_size;
  if (at + offset_size > size) return size;
  uint64_t end = 0;
  for (size_t i = 0; i < offset_size; ++i) end |= uint64_t{byte(at + i)} << (8 * i);
  return end > 0 && end <= size ? static_cast<size_t>(end) : size;
}

// Writes `size` bytes of `data` as the file `path` (created, or truncated). Throws DiskFullError
// when the disk is full, CheckpointError on any other failure; `final_path` is the store the file
// becomes.
void write_image(const std::string& path, const char* data, size_t size,
                 const std::string& final_path) {
  const auto fail = [&](int code) {
    if (core::is_out_of_space(code)) {
      throw DiskFullError("cannot write latent checkpoint " + final_path + " (to " + path +
                          "): " + core::disk_full_text(code));
    }
    throw CheckpointError("cannot write latent checkpoint " + final_path + " (to " + path +
                          "): " + std::strerror(code));
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(errno);
  size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, data + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int code = errno;
      ::close(fd);
      fail(code);
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail(errno);
}

}  // namespace

StoreFileWriter::StoreFileWriter(const std::string& path)
    : staged_([&] {
        try {
          return StagedOutput(path, false);
        } catch (const CheckpointError&) {
          throw;
        } catch (const Error& error) {
          throw CheckpointError("cannot write latent checkpoint " + path + ": " + error.what());
        }
      }()) {
  quiet_hdf5_errors();
  image_ = std::make_unique<MemoryImage>();
  const H5PropertyList access = writer_access_properties(*image_);
  file_ =
      H5File(check_h5(H5Fcreate(temporary_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()),
                      "cannot create " + temporary_path()));
}

StoreFileWriter::~StoreFileWriter() = default;

void StoreFileWriter::commit() {
  const std::string where = "cannot finish writing " + temporary_path();
  check_h5(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), where);
  check_h5(file_.close(), where);
  if (image_->data == nullptr) throw CheckpointError(where + ": HDF5 kept no file image");
  // The driver's buffer grows in steps; the file is what its superblock says it is.
  const char* data = static_cast<const char*>(image_->data);
  write_image(temporary_path(), data, superblock_end_of_file(data, image_->allocated),
              staged_.final_path());
  try {
    staged_.commit();
  } catch (const DiskFullError&) {
    throw;
  } catch (const Error& error) {
    throw CheckpointError("cannot replace latent checkpoint " + staged_.final_path() + ": " +
                          error.what());
  }
}

H5PropertyList untimed_group_properties() {
  H5PropertyList create(check_h5(H5Pcreate(H5P_GROUP_CREATE), "cannot create group properties"));
  check_h5(H5Pset_obj_track_times(create.get(), false), "cannot set group properties");
  return create;
}

void write_store_meta(hid_t file, const LatentStoreMeta& meta) {
  LatentStoreMeta written = meta;
  written.format_version = kLatentStoreFormatVersion;
  written.motionfarm_version = core::build_info().version;
  const H5PropertyList create = untimed_group_properties();
  const H5Group group(check_h5(H5Gcreate2(file, "meta", H5P_DEFAULT, create.get(), H5P_DEFAULT),
                               "cannot create /meta"));
  write_int_attribute(group.get(), "format_version", written.format_version);
  write_string_attribute(group.get(), "model_id", written.identity.model_id);
  write_string_attribute(group.get(), "model_config_hash", written.identity.model_config_hash);
  write_uint_attribute(group.get(), "seed", written.identity.seed);
  write_string_attribute(group.get(), "prompt_hash", written.identity.prompt_hash);
  write_string_attribute(group.get(), "motionfarm_version", written.motionfarm_version);
  write_uint_attribute(group.get(), "xxh64", meta_checksum(written));
  const H5Group extra(
      check_h5(H5Gcreate2(group.get(), "extra", H5P_DEFAULT, create.get(), H5P_DEFAULT),
               "cannot create /meta/extra"));
  for (const auto& [key, value] : written.extra) {
    write_string_attribute(extra.get(), key, value);
  }
}

LatentStoreMeta read_store_meta(hid_t file, const std::string& path) {
  quiet_hdf5_errors();
  if (H5Lexists(file, "meta", H5P_DEFAULT) <= 0) {
    take_hdf5_error_stack();
    throw CheckpointError(path +
                          " has no /meta group: it is an HDF5 file but not a motionfarm latent "
                          "checkpoint");
  }
  const std::string where = path + " /meta";
  const H5Group group(check_h5(H5Gopen2(file, "meta", H5P_DEFAULT), where + ": cannot open"));
  LatentStoreMeta meta;
  // The version first: another version's other attributes may differ.
  meta.format_version = read_int_attribute(group.get(), "format_version", where);
  if (meta.format_version != kLatentStoreFormatVersion) {
    throw CheckpointError(path + " has unknown format version " +
                          std::to_string(meta.format_version) + " (this motionfarm reads version " +
                          std::to_string(kLatentStoreFormatVersion) +
                          "): recompute it, or read it with the motionfarm that wrote it");
  }
  meta.identity.model_id = read_string_attribute(group.get(), "model_id", where);
  meta.identity.model_config_hash = read_string_attribute(group.get(), "model_config_hash", where);
  meta.identity.seed = read_uint_attribute(group.get(), "seed", where);
  meta.identity.prompt_hash = read_string_attribute(group.get(), "prompt_hash", where);
  meta.motionfarm_version = read_string_attribute(group.get(), "motionfarm_version", where);
  const uint64_t stored_checksum = read_uint_attribute(group.get(), "xxh64", where);

  if (H5Lexists(group.get(), "extra", H5P_DEFAULT) <= 0) {
    take_hdf5_error_stack();
    throw CheckpointError(where + "/extra is missing; the file is damaged");
  }
  const H5Group extra(
      check_h5(H5Gopen2(group.get(), "extra", H5P_DEFAULT), where + "/extra: cannot open"));
  const std::vector<std::string> keys = attribute_names(extra.get(), where + "/extra");
  if (keys.size() > kMaxExtraEntries) {
    throw CheckpointError(where + "/extra holds " + std::to_string(keys.size()) +
                          " attributes (at most " + std::to_string(kMaxExtraEntries) +
                          " are accepted); the file is damaged");
  }
  for (const std::string& key : keys) {
    meta.extra[key] = read_string_attribute(extra.get(), key, where + "/extra");
  }
  if (meta_checksum(meta) != stored_checksum) {
    throw CheckpointError(where +
                          ": checksum mismatch over its attributes; the file is damaged and its "
                          "segments must be recomputed");
  }
  return meta;
}

}  // namespace motionfarm::io
