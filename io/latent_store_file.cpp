#include "io/latent_store_file.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/build_info.h"
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
H5PropertyList file_access_properties() {
  H5PropertyList access(check_h5(H5Pcreate(H5P_FILE_ACCESS), "cannot create file properties"));
  check_h5(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "cannot set file properties");
#if H5_VERSION_GE(1, 10, 7)
  check_h5(H5Pset_file_locking(access.get(), false, true), "cannot set file properties");
#endif
  return access;
}

bool has_hdf5_signature(const std::string& path) {
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(head, sizeof(head)) && std::equal(head, head + 8, kSignature);
}

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
  if (!has_hdf5_signature(path)) {
    throw CheckpointError(path + " is not an HDF5 file" +
                          (fs::file_size(path, error) == 0 ? " (it is empty)" : "") +
                          ", so it is not a latent checkpoint; remove it to recompute");
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
  const H5PropertyList access = file_access_properties();
  file_ =
      H5File(check_h5(H5Fcreate(temporary_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()),
                      "cannot create " + temporary_path()));
}

void StoreFileWriter::commit() {
  check_h5(file_.close(), "cannot finish writing " + temporary_path() + " (is the disk full?)");
  try {
    staged_.commit();
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
