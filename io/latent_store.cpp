#include "io/latent_store.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/build_info.h"
#include "core/check.h"
#include "core/disk_full.h"
#include "core/error.h"
#include "core/log.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_handles.h"
#include "io/latent_store_file.h"
#include "io/latent_store_state.h"

namespace motionfarm::io {
namespace {

void check_segment_index(int index) {
  MF_CHECK(index >= 0 && index < kMaxLatentSegments, Error,
           "segment index " << index << " is outside 0.." << kMaxLatentSegments - 1);
}

bool link_exists(hid_t parent, const std::string& name) {
  const htri_t exists = H5Lexists(parent, name.c_str(), H5P_DEFAULT);
  if (exists < 0) take_hdf5_error_stack();
  return exists > 0;
}

void check_identity(const LatentStoreMeta& meta, const LatentStoreIdentity& expected,
                    const std::string& path) {
  const LatentStoreIdentity& written = meta.identity;
  const std::string advice = "; its latents do not belong to this render and must be recomputed";
  if (written.model_id != expected.model_id ||
      written.model_config_hash != expected.model_config_hash) {
    throw CheckpointError(path + ": mismatch: written by model " + written.model_id +
                          " (config hash " + written.model_config_hash + "), expected " +
                          expected.model_id + " (config hash " + expected.model_config_hash + ")" +
                          advice);
  }
  if (written.seed != expected.seed) {
    throw CheckpointError(path + ": mismatch: written with seed " + std::to_string(written.seed) +
                          ", expected seed " + std::to_string(expected.seed) + advice);
  }
  if (written.prompt_hash != expected.prompt_hash) {
    throw CheckpointError(path + ": mismatch: written for prompt hash " + written.prompt_hash +
                          ", expected " + expected.prompt_hash + advice);
  }
}

// Writes the next version of the store at `path`: /meta, every segment of the current file for
// which `keep` is true (copied as stored, compressed chunks included), then what `add` writes
// into /segments; then replaces the store with it atomically (see the header comment).
// `current` lists the segments in the current file; none when `path` has no store yet.
void rewrite_store(const std::string& path, const LatentStoreMeta& meta,
                   const std::vector<int>& current, const std::function<bool(int)>& keep,
                   const std::function<void(hid_t segments)>& add) {
  StoreFileWriter writer(path);
  write_store_meta(writer.file(), meta);
  {
    // Scoped: every object must be closed before commit() closes the file (see StoreFileWriter).
    const H5PropertyList create = untimed_group_properties();
    const H5Group segments(
        check_h5(H5Gcreate2(writer.file(), "segments", H5P_DEFAULT, create.get(), H5P_DEFAULT),
                 "cannot create /segments in " + writer.temporary_path()));
    std::vector<int> kept;
    for (int index : current) {
      if (keep(index)) kept.push_back(index);
    }
    if (!kept.empty()) {
      const OpenedStoreFile old = open_store_file(path);
      for (int index : kept) {
        const std::string name = segment_link_name(index);
        const herr_t copied = H5Ocopy(old.file.get(), name.c_str(), writer.file(), name.c_str(),
                                      H5P_DEFAULT, H5P_DEFAULT);
        if (copied < 0) {
          const std::string stack = take_hdf5_error_stack();
          // A full disk fails the whole update (the store keeps its previous version); only a
          // finished segment would be lost by dropping it here.
          if (const int code = out_of_space_errno(stack)) {
            throw DiskFullError("cannot copy segment " + std::to_string(index) + " into " +
                                writer.temporary_path() + ": " + core::disk_full_text(code));
          }
          // A segment too damaged to copy is dropped rather than failing every later write: its
          // next read reports it missing, and it is recomputed.
          MF_LOG(Warn, "checkpoint")
              << path << ": dropping segment " << index << ", which cannot be copied: " << stack;
        }
      }
    }
    add(segments.get());
  }
  writer.commit();
}

// rewrite_store() with a full disk named for what it is: the store at `path` was not updated and
// keeps its previous version (the unfinished temporary is removed on the way out).
void rewrite_store_or_report(const std::string& path, const LatentStoreMeta& meta,
                             const std::vector<int>& current, const std::function<bool(int)>& keep,
                             const std::function<void(hid_t segments)>& add) {
  try {
    rewrite_store(path, meta, current, keep, add);
  } catch (const DiskFullError& error) {
    throw DiskFullError("cannot write latent checkpoint " + path +
                        " (its previous version is kept): " + error.what());
  }
}

}  // namespace

LatentStore::LatentStore(std::string path, LatentStoreOptions options)
    : path_(std::move(path)), options_(std::move(options)) {
  options_.tensors.validate();
}

LatentStore LatentStore::create(const std::string& path, const LatentStoreMeta& meta,
                                const LatentStoreOptions& options) {
  LatentStore store(path, options);
  store.meta_ = meta;
  store.meta_.format_version = kLatentStoreFormatVersion;
  store.meta_.motionfarm_version = core::build_info().version;
  rewrite_store_or_report(
      path, store.meta_, {}, [](int) { return false; }, [](hid_t) {});
  return store;
}

LatentStore LatentStore::open(const std::string& path, const LatentStoreIdentity& expected,
                              const LatentStoreOptions& options) {
  LatentStore store(path, options);
  store.load_index();
  check_identity(store.meta_, expected, path);
  return store;
}

LatentStore LatentStore::open_unchecked(const std::string& path) {
  LatentStore store(path, LatentStoreOptions{});
  store.load_index();
  return store;
}

void LatentStore::load_index() {
  const OpenedStoreFile opened = open_store_file(path_);
  const hid_t file = opened.file.get();
  meta_ = read_store_meta(file, path_);
  segments_.clear();
  if (!link_exists(file, "segments")) {
    throw CheckpointError(path_ + " has no /segments group; the file is damaged");
  }
  const H5Group segments(
      check_h5(H5Gopen2(file, "segments", H5P_DEFAULT), path_ + " /segments: cannot open"));
  H5G_info_t info;
  check_h5(H5Gget_info(segments.get(), &info), path_ + " /segments: cannot list");
  if (info.nlinks > static_cast<hsize_t>(kMaxLatentSegments)) {
    throw CheckpointError(path_ + " /segments holds " + std::to_string(info.nlinks) +
                          " entries (at most " + std::to_string(kMaxLatentSegments) +
                          "); the file is damaged");
  }
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[16] = {};
    const ssize_t length =
        check_h5(H5Lget_name_by_idx(segments.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                    sizeof(name), H5P_DEFAULT),
                 path_ + " /segments: cannot list");
    const int index = static_cast<size_t>(length) < sizeof(name) ? parse_segment_name(name) : -1;
    if (index < 0) {
      throw CheckpointError(path_ + " /segments holds an entry '" + std::string(name) +
                            "' that is not a segment number; the file is damaged");
    }
    const std::string where = path_ + " " + segment_group_path(index);
    const H5Group group(
        check_h5(H5Gopen2(segments.get(), name, H5P_DEFAULT), where + ": cannot open"));
    SegmentEntry& entry = segments_[index];
    entry.has_state = link_exists(group.get(), "state");
    entry.complete = link_exists(group.get(), "latents") &&
                     has_attribute(group.get(), "complete") &&
                     read_int_attribute(group.get(), "complete", where) == 1;
  }
}

std::vector<int> LatentStore::segment_indices() const {
  std::vector<int> indices;
  for (const auto& [index, entry] : segments_) indices.push_back(index);
  return indices;
}

bool LatentStore::has_complete_segment(int index) const {
  const auto found = segments_.find(index);
  return found != segments_.end() && found->second.complete;
}

bool LatentStore::has_state(int index) const {
  const auto found = segments_.find(index);
  return found != segments_.end() && found->second.has_state;
}

at::Tensor LatentStore::read_segment(int index) const {
  check_segment_index(index);
  const std::string where = path_ + " " + segment_group_path(index);
  if (!has_complete_segment(index)) {
    std::string held;
    for (const auto& [i, entry] : segments_) {
      if (entry.complete) held += (held.empty() ? "" : ", ") + std::to_string(i);
    }
    throw CheckpointError(
        where + " is " +
        (segments_.count(index) ? "incomplete (its sampling was interrupted)" : "missing") +
        "; the file holds complete segments [" + held + "]; recompute the segment");
  }
  const OpenedStoreFile opened = open_store_file(path_);
  const H5Group group(
      check_h5(H5Gopen2(opened.file.get(), segment_link_name(index).c_str(), H5P_DEFAULT),
               where + ": cannot open"));
  return read_tensor_dataset(group.get(), "latents", where + "/latents", opened.file_bytes);
}

void LatentStore::write_segment(int index, const at::Tensor& latents) {
  check_segment_index(index);
  MF_CHECK(latents.defined(), Error, "segment " << index << " has no latents to store");
  rewrite_store_or_report(
      path_, meta_, segment_indices(), [index](int i) { return i != index; },
      [&](hid_t segments) {
        const H5PropertyList create = untimed_group_properties();
        const std::string name = segment_name(index);
        const H5Group group(
            check_h5(H5Gcreate2(segments, name.c_str(), H5P_DEFAULT, create.get(), H5P_DEFAULT),
                     "cannot create segment " + name));
        write_tensor_dataset(group.get(), "latents", latents, options_.tensors);
        // Marked complete only after the data and its checksum are on disk (within this new
        // version of the file, which itself replaces the store only once it is complete).
        check_h5(H5Fflush(group.get(), H5F_SCOPE_LOCAL), "cannot flush segment " + name);
        write_int_attribute(group.get(), "complete", 1);
      });
  segments_[index] = SegmentEntry{true, false};
}

void LatentStore::discard_segment(int index) {
  check_segment_index(index);
  if (segments_.count(index) == 0) return;
  rewrite_store_or_report(
      path_, meta_, segment_indices(), [index](int i) { return i != index; }, [](hid_t) {});
  segments_.erase(index);
}

std::optional<SamplingState> LatentStore::read_state(int index) const {
  check_segment_index(index);
  if (!has_state(index)) return std::nullopt;
  const std::string where = path_ + " " + segment_group_path(index) + "/state";
  const OpenedStoreFile opened = open_store_file(path_);
  const H5Group group(
      check_h5(H5Gopen2(opened.file.get(), segment_link_name(index).c_str(), H5P_DEFAULT),
               where + ": cannot open"));
  return read_sampling_state(group.get(), where, opened.file_bytes);
}

void LatentStore::write_state(int index, const SamplingState& state) {
  check_segment_index(index);
  MF_CHECK(!has_complete_segment(index), Error,
           "segment " << index << " is already complete; its sampling state is not needed");
  check_sampling_state(state);
  rewrite_store_or_report(
      path_, meta_, segment_indices(), [index](int i) { return i != index; },
      [&](hid_t segments) {
        const H5PropertyList create = untimed_group_properties();
        const std::string name = segment_name(index);
        const H5Group group(
            check_h5(H5Gcreate2(segments, name.c_str(), H5P_DEFAULT, create.get(), H5P_DEFAULT),
                     "cannot create segment " + name));
        write_sampling_state(group.get(), state, options_.tensors);
      });
  segments_[index] = SegmentEntry{false, true};
}

std::vector<SegmentReport> LatentStore::inspect() const {
  std::vector<SegmentReport> reports;
  const OpenedStoreFile opened = open_store_file(path_);
  for (const auto& [index, entry] : segments_) {
    SegmentReport report;
    report.index = index;
    report.complete = entry.complete;
    const std::string where = path_ + " " + segment_group_path(index);
    const H5Group group(
        check_h5(H5Gopen2(opened.file.get(), segment_link_name(index).c_str(), H5P_DEFAULT),
                 where + ": cannot open"));
    if (entry.complete) {
      try {
        const TensorDatasetInfo info =
            describe_tensor_dataset(group.get(), "latents", where + "/latents", opened.file_bytes);
        report.dtype = info.dtype;
        report.shape = info.shape;
        read_tensor_dataset(group.get(), "latents", where + "/latents", opened.file_bytes);
        report.latents_verified = true;
      } catch (const CheckpointError& error) {
        report.problem = error.what();
      }
    }
    if (entry.has_state) {
      // Not emplace(): clang rejects default-constructing a nested struct with member initializers
      // through std::optional of its enclosing class (the trait is evaluated while incomplete).
      report.state = SegmentReport::State{};
      SegmentReport::State& state = *report.state;
      try {
        const SamplingStateHeader header =
            read_sampling_state_header(group.get(), where + "/state");
        state.sampler = header.fields.sampler;
        state.step_index = header.fields.step_index;
        state.num_steps = header.fields.num_steps;
        state.shift = header.fields.shift;
        state.history_length = header.history_length;
        const SamplingState full =
            read_sampling_state(group.get(), where + "/state", opened.file_bytes);
        state.latent_shape.assign(full.latent.sizes().begin(), full.latent.sizes().end());
        state.verified = true;
      } catch (const CheckpointError& error) {
        state.problem = error.what();
      }
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace motionfarm::io
