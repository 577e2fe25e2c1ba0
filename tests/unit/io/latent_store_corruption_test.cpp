// Damaged, mismatched and hostile latent checkpoints: each is refused with a CheckpointError whose
// message says what is wrong (so the rank recomputes), never a crash or a huge allocation.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/hdf5_attributes.h"
#include "io/hdf5_handles.h"
#include "io/latent_store.h"
#include "io/latent_store_file.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/latent_store_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using namespace latent_store_test;
using motionfarm::testing::ScratchDir;

// Runs `action`, expecting a CheckpointError whose message contains every one of `parts`.
void expect_checkpoint_error(const std::function<void()>& action,
                             const std::vector<std::string>& parts) {
  try {
    action();
    ADD_FAILURE() << "no CheckpointError; expected one mentioning '" << parts.front() << "'";
  } catch (const CheckpointError& error) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
          << "'" << part << "' not in: " << error.what();
    }
  }
}

class LatentStoreCorruption : public ::testing::Test {
 protected:
  // A store with segments 0 and 1 complete and a state for segment 2.
  std::string write_store() {
    const std::string path = scratch_.file("asset.h5");
    LatentStore store = LatentStore::create(path, meta());
    store.write_segment(0, tagged_latent(0.0));
    store.write_segment(1, tagged_latent(1.0));
    store.write_state(2, tagged_state(5));
    return path;
  }

  // Opens `path` read-write for editing it the way a damaged or hostile file would look.
  static H5File open_for_editing(const std::string& path) {
    quiet_hdf5_errors();
    return H5File(check_h5(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "open"));
  }
  static void replace_attribute(hid_t object, const std::string& name,
                                const std::function<void()>& write) {
    check_h5(H5Adelete(object, name.c_str()), "delete " + name);
    write();
  }

  ScratchDir scratch_{"corrupt"};
};

TEST_F(LatentStoreCorruption, MissingFile) {
  expect_checkpoint_error([&] { LatentStore::open(scratch_.file("none.h5"), identity()); },
                          {"no latent checkpoint at", "none.h5"});
}

TEST_F(LatentStoreCorruption, NotAnHdf5File) {
  const std::string path = scratch_.file("clip.h5");
  write_file(path, "this is an mp4, honest\n");
  expect_checkpoint_error([&] { LatentStore::open(path, identity()); },
                          {"clip.h5 is not an HDF5 file"});
  write_file(path, "");
  expect_checkpoint_error([&] { LatentStore::open(path, identity()); },
                          {"is not an HDF5 file (it is empty)"});
}

TEST_F(LatentStoreCorruption, TruncatedFile) {
  const std::string path = write_store();
  const std::string bytes = read_file(path);
  for (double keep : {0.9, 0.5, 0.1}) {
    write_file(path, bytes.substr(0, static_cast<size_t>(bytes.size() * keep)));
    expect_checkpoint_error([&] { LatentStore::open(path, identity()); },
                            {"asset.h5 is truncated", "must be recomputed"});
  }
}

TEST_F(LatentStoreCorruption, FlippedByteInADatasetIsCaughtOnRead) {
  const std::string path = write_store();
  // Find segment 1's raw data (stored uncompressed) in the file and flip one byte of it.
  const at::Tensor latents = tagged_latent(1.0);
  const std::string pattern(static_cast<const char*>(latents.data_ptr()), 256);
  std::string bytes = read_file(path);
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 100] ^= 0x10;
  write_file(path, bytes);

  const LatentStore store = LatentStore::open(path, identity());  // the metadata is intact
  EXPECT_TRUE(bitwise_equal(store.read_segment(0), tagged_latent(0.0)));
  expect_checkpoint_error([&] { store.read_segment(1); },
                          {"/segments/001/latents: checksum mismatch", "must be recomputed"});
  const std::vector<SegmentReport> reports = store.inspect();
  EXPECT_TRUE(reports[0].latents_verified);
  EXPECT_FALSE(reports[1].latents_verified);
  EXPECT_NE(reports[1].problem.find("checksum mismatch"), std::string::npos);
}

TEST_F(LatentStoreCorruption, FlippedByteInAStateTensor) {
  const std::string path = write_store();
  const SamplingState state = tagged_state(5);
  const std::string pattern(static_cast<const char*>(state.model_outputs[1].data_ptr()), 256);
  std::string bytes = read_file(path);
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] ^= 0x01;
  write_file(path, bytes);
  expect_checkpoint_error([&] { LatentStore::open(path, identity()).read_state(2); },
                          {"/segments/002/state/history/001: checksum mismatch"});
}

TEST_F(LatentStoreCorruption, WrongModelConfigSeedOrPrompt) {
  const std::string path = write_store();
  LatentStoreIdentity other = identity();
  other.model_id = "wan2.2-ti2v-5b";
  expect_checkpoint_error(
      [&] { LatentStore::open(path, other); },
      {"mismatch: written by model wan2.1-i2v-14b-480p (config hash cfg-5e1d), expected "
       "wan2.2-ti2v-5b (config hash cfg-5e1d)"});
  other = identity();
  other.model_config_hash = "cfg-0000";
  expect_checkpoint_error([&] { LatentStore::open(path, other); },
                          {"mismatch: written by model",
                           "expected wan2.1-i2v-14b-480p (config "
                           "hash cfg-0000)"});
  other = identity();
  other.seed = 42;
  expect_checkpoint_error([&] { LatentStore::open(path, other); },
                          {"mismatch: written with seed 1234567890123, expected seed 42"});
  other = identity();
  other.prompt_hash = "prompt-0bb1";
  expect_checkpoint_error([&] { LatentStore::open(path, other); },
                          {"mismatch: written for prompt hash prompt-77aa, expected prompt-0bb1"});
}

TEST_F(LatentStoreCorruption, MissingOrIncompleteSegment) {
  const std::string path = write_store();
  const LatentStore store = LatentStore::open(path, identity());
  expect_checkpoint_error([&] { store.read_segment(3); },
                          {"/segments/003 is missing", "holds complete segments [0, 1]"});
  expect_checkpoint_error([&] { store.read_segment(2); },
                          {"/segments/002 is incomplete (its sampling was interrupted)"});
}

TEST_F(LatentStoreCorruption, UnknownFormatVersion) {
  const std::string path = write_store();
  {
    const H5File file = open_for_editing(path);
    const H5Group meta_group(H5Gopen2(file.get(), "meta", H5P_DEFAULT));
    replace_attribute(meta_group.get(), "format_version",
                      [&] { write_int_attribute(meta_group.get(), "format_version", 7); });
  }
  expect_checkpoint_error([&] { LatentStore::open(path, identity()); },
                          {"has unknown format version 7", "reads version 1"});
}

TEST_F(LatentStoreCorruption, EditedMetaFailsItsChecksum) {
  const std::string path = write_store();
  {
    const H5File file = open_for_editing(path);
    const H5Group meta_group(H5Gopen2(file.get(), "meta", H5P_DEFAULT));
    // The same seed the caller expects, so only the checksum can tell.
    replace_attribute(meta_group.get(), "model_id",
                      [&] { write_string_attribute(meta_group.get(), "model_id", "wan2.1-i2v"); });
  }
  expect_checkpoint_error([&] { LatentStore::open_unchecked(path); },
                          {"/meta: checksum mismatch over its attributes"});
}

TEST_F(LatentStoreCorruption, EditedStateFieldFailsTheHeaderChecksum) {
  const std::string path = write_store();
  {
    const H5File file = open_for_editing(path);
    const H5Group state(H5Gopen2(file.get(), "segments/002/state", H5P_DEFAULT));
    replace_attribute(state.get(), "step_index",
                      [&] { write_int_attribute(state.get(), "step_index", 6); });
  }
  expect_checkpoint_error([&] { LatentStore::open(path, identity()).read_state(2); },
                          {"/segments/002/state: checksum mismatch over the state's fields"});
}

// ---- Hostile files: built by hand with the HDF5 API, as an attacker or a buggy tool would.

class LatentStoreHostile : public LatentStoreCorruption {
 protected:
  // A file with a valid /meta and an empty /segments, open read-write, in the checksummed file
  // format the store requires; `latest` uses the newest format, which allows attributes larger
  // than 64 KiB.
  H5File make_file(bool latest = false) {
    quiet_hdf5_errors();
    path_ = scratch_.file("hostile.h5");
    const H5PropertyList access(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_libver_bounds(access.get(), latest ? H5F_LIBVER_LATEST : H5F_LIBVER_V110,
                         H5F_LIBVER_LATEST);
    H5File file(
        check_h5(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "create"));
    write_store_meta(file.get(), meta());
    H5Group(check_h5(H5Gcreate2(file.get(), "segments", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     "segments"));
    return file;
  }
  // A complete segment 000 whose latents dataset has `dims`, chunked by `chunk`, with attributes
  // that agree with the dims (so only the size check can refuse it).
  void add_latents(hid_t file, const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                   bool compressed = false) {
    const H5Group group(
        check_h5(H5Gcreate2(file, "segments/000", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "group"));
    const H5Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    const H5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
    check_h5(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "chunk");
    if (compressed) H5Pset_deflate(create.get(), 1);
    const H5Dataset dataset(check_h5(H5Dcreate2(group.get(), "latents", H5T_IEEE_F32LE, space.get(),
                                                H5P_DEFAULT, create.get(), H5P_DEFAULT),
                                     "dataset"));
    write_string_attribute(dataset.get(), "dtype", "float32");
    write_int_array_attribute(dataset.get(), "shape", {dims.begin(), dims.end()});
    write_uint_attribute(dataset.get(), "xxh64", 0);
    write_int_attribute(group.get(), "complete", 1);
  }
  std::string path_;
};

TEST_F(LatentStoreHostile, DatasetClaimingEnormousDimensions) {
  {
    const H5File file = make_file();
    add_latents(file.get(), {1 << 20, 1 << 20, 1 << 20}, {1, 1, 1024});
  }
  const LatentStore store = LatentStore::open(path_, identity());
  expect_checkpoint_error([&] { store.read_segment(0); },
                          {"/segments/000/latents: claims 4611686018427387904 bytes of data",
                           "more than a file of", "damaged or hostile"});
  // inspect() reports it instead of throwing.
  const std::vector<SegmentReport> reports = store.inspect();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].latents_verified);
  EXPECT_NE(reports[0].problem.find("claims"), std::string::npos) << reports[0].problem;
}

TEST_F(LatentStoreHostile, CompressedDatasetClaimingMoreThanGzipCanExpand) {
  {
    const H5File file = make_file();
    add_latents(file.get(), {1 << 16, 1 << 16}, {256, 256}, /*compressed=*/true);
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()).read_segment(0); },
                          {"claims 17179869184 bytes of data"});
}

TEST_F(LatentStoreHostile, DatasetOverflowingSixtyFourBits) {
  {
    const H5File file = make_file();
    add_latents(file.get(), {1ULL << 40, 1ULL << 40}, {1, 1024});
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()).read_segment(0); },
                          {"claims more than 2^64 bytes"});
}

TEST_F(LatentStoreHostile, ChunkLargerThanTheDataset) {
  {
    const H5File file = make_file();
    const H5Group group(
        H5Gcreate2(file.get(), "segments/000", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const hsize_t dims[1] = {4}, max_dims[1] = {H5S_UNLIMITED}, chunk[1] = {1 << 26};
    const H5Dataspace space(H5Screate_simple(1, dims, max_dims));
    const H5PropertyList create(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(create.get(), 1, chunk);
    const H5Dataset dataset(H5Dcreate2(group.get(), "latents", H5T_IEEE_F32LE, space.get(),
                                       H5P_DEFAULT, create.get(), H5P_DEFAULT));
    write_string_attribute(dataset.get(), "dtype", "float32");
    write_int_array_attribute(dataset.get(), "shape", {4});
    write_uint_attribute(dataset.get(), "xxh64", 0);
    write_int_attribute(group.get(), "complete", 1);
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()).read_segment(0); },
                          {"its chunks are larger than the dataset"});
}

TEST_F(LatentStoreHostile, ShapeAttributeDisagreesOrIsHuge) {
  {
    const H5File file = make_file();
    add_latents(file.get(), {2, 3}, {2, 3});
    const H5Dataset dataset(H5Dopen2(file.get(), "segments/000/latents", H5P_DEFAULT));
    replace_attribute(dataset.get(), "shape", [&] {
      write_int_array_attribute(dataset.get(), "shape", {3, 2});
    });
  }
  expect_checkpoint_error(
      [&] { LatentStore::open(path_, identity()).read_segment(0); },
      {"its shape attribute [3, 2] does not match the stored dimensions [2, 3]"});
  {
    const H5File file = open_for_editing(path_);
    const H5Dataset dataset(H5Dopen2(file.get(), "segments/000/latents", H5P_DEFAULT));
    replace_attribute(dataset.get(), "shape", [&] {
      write_int_array_attribute(dataset.get(), "shape", std::vector<int64_t>(5000, 1));
    });
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()).read_segment(0); },
                          {"attribute shape holds 5000 values (at most 8 are accepted)"});
}

TEST_F(LatentStoreHostile, MalformedMetaAttributes) {
  {
    const H5File file = make_file();
    const H5Group meta_group(H5Gopen2(file.get(), "meta", H5P_DEFAULT));
    replace_attribute(meta_group.get(), "format_version",
                      [&] { write_string_attribute(meta_group.get(), "format_version", "1"); });
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"/meta: attribute format_version is not an integer"});
  {
    const H5File file = make_file(/*latest=*/true);
    const H5Group meta_group(H5Gopen2(file.get(), "meta", H5P_DEFAULT));
    replace_attribute(meta_group.get(), "model_id", [&] {
      write_string_attribute(meta_group.get(), "model_id", std::string(200000, 'x'));
    });
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"attribute model_id claims 200000 bytes (at most 65536 are accepted)"});
  {
    const H5File file = make_file();
    const H5Group meta_group(H5Gopen2(file.get(), "meta", H5P_DEFAULT));
    check_h5(H5Adelete(meta_group.get(), "seed"), "delete");
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"/meta: attribute seed is missing"});
}

TEST_F(LatentStoreHostile, StrangeEntriesUnderSegments) {
  {
    const H5File file = make_file();
    H5Group(H5Gcreate2(file.get(), "segments/7", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"/segments holds an entry '7' that is not a segment number"});
}

TEST_F(LatentStoreHostile, NotALatentStore) {
  {
    quiet_hdf5_errors();
    path_ = scratch_.file("other.h5");
    const H5PropertyList access(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST);
    H5File(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()));
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"has no /meta group: it is an HDF5 file but not a motionfarm latent"});
}

// An HDF5 file in the default (1.8-compatible) format has no metadata checksums: it is refused
// before libhdf5 parses it, since libhdf5 1.10.8 over-reads the heap on some damaged headers.
TEST_F(LatentStoreHostile, FileWithoutMetadataChecksumsIsRefusedBeforeParsing) {
  {
    quiet_hdf5_errors();
    path_ = scratch_.file("old-format.h5");
    H5File(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  }
  expect_checkpoint_error([&] { LatentStore::open(path_, identity()); },
                          {"old-format.h5 is an HDF5 file without metadata checksums (superblock "
                           "version 0)",
                           "remove it to recompute"});
}

// The inputs tests/fuzz/latent_store_fuzzer found (tests/fuzz/regressions/): mutated stores that
// made libhdf5 over-read the heap (a damaged attribute name) or ask malloc for 0x54000000000001b8
// bytes. Each is now a CheckpointError before or while libhdf5 reads it.
TEST_F(LatentStoreHostile, FuzzerFindingsAreCheckpointErrors) {
  for (const char* name :
       {"latent_store_impossible_metadata_size.h5", "latent_store_attribute_name_overread.h5"}) {
    const std::string path = motionfarm::testing::source_dir() + "/tests/fuzz/regressions/" + name;
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    expect_checkpoint_error([&] { LatentStore::open_unchecked(path).inspect(); },
                            {name, "without metadata checksums"});
  }
}

}  // namespace
}  // namespace motionfarm::io
