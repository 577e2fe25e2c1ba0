// Disk full (issue #12) while writing a latent store or a clip, made real with RLIMIT_FSIZE
// (tests/support/file_size_limit.h): the write fails with a DiskFullError that names the file and
// says the disk is full, no temporary is left behind, nothing appears under the final name, what
// was written before is byte for byte intact, and the same write succeeds once there is room.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/latent_store.h"
#include "io/video_writer.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/latent_store_test_support.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::FileSizeLimit;
using motionfarm::testing::ScratchDir;
using namespace latent_store_test;

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

constexpr uint64_t kRoom = 64 * 1024;  // what the "disk" has left beyond the files already there

TEST(LatentStoreDiskFull, AnUpdateThatDoesNotFitKeepsThePreviousVersionAndNamesTheStore) {
  ScratchDir dir("disk-full-store");
  const std::string path = dir.file("latents.h5");
  LatentStore store = LatentStore::create(path, meta());
  const at::Tensor first = tagged_latent(1);
  store.write_segment(0, first);
  const std::string before = read_file(path);
  // ~2 MB of latents (and a state of three such tensors): far more than the room left.
  const std::vector<int64_t> big_shape = {16, 21, 30, 52};
  const at::Tensor big = tagged_latent(2, at::kFloat, big_shape);
  {
    const FileSizeLimit full(before.size() + kRoom);
    try {
      store.write_segment(1, big);
      ADD_FAILURE() << "a segment larger than the disk's room was written";
    } catch (const DiskFullError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("cannot write latent checkpoint " + path), std::string::npos)
          << message;
      EXPECT_NE(message.find("the disk is full"), std::string::npos) << message;
    }
    EXPECT_THROW(store.write_state(2, tagged_state(3, big_shape)), DiskFullError);
  }
  EXPECT_EQ(read_file(path), before) << "the store's previous version was changed";
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"latents.h5"})
      << "a failed update left its temporary behind";
  const LatentStore reopened = LatentStore::open(path, identity());
  EXPECT_TRUE(bitwise_equal(reopened.read_segment(0), first));
  EXPECT_FALSE(reopened.has_complete_segment(1));
  EXPECT_FALSE(reopened.has_state(2));

  // Space freed: the same writes go through.
  store.write_segment(1, big);
  store.write_state(2, tagged_state(3, big_shape));
  const LatentStore after = LatentStore::open(path, identity());
  EXPECT_TRUE(bitwise_equal(after.read_segment(0), first));
  EXPECT_TRUE(bitwise_equal(after.read_segment(1), big));
  EXPECT_EQ(after.read_state(2)->step_index, 3);
}

// Noise does not compress, so every format's clip is far larger than the room left.
at::Tensor noise_frames(int64_t count, int64_t height, int64_t width) {
  return at::rand({count, 3, height, width}, at::TensorOptions().dtype(at::kFloat)) * 2.0 - 1.0;
}

class VideoWriterDiskFull : public ::testing::TestWithParam<std::string> {};

TEST_P(VideoWriterDiskFull, AClipThatDoesNotFitFailsNamingItAndNothingAppearsUnderItsName) {
  ScratchDir dir("disk-full-clip");
  VideoWriterOptions options;
  options.format = parse_output_format(GetParam());
  options.width = 256;
  options.height = 192;
  options.threads = 1;
  const std::string extension = output_format_info(options.format).extension;
  // An earlier deliverable in the same folder, written while there was room.
  const std::string earlier = dir.file("earlier" + extension);
  {
    VideoWriter writer(earlier, options);
    writer.write_frames(media_test::moving_gradient(3, options.height, options.width));
    writer.finish();
  }
  const auto snapshot = [&] {
    std::string bytes;
    if (!fs::is_directory(earlier)) return media_test::read_bytes(earlier);
    for (const std::string& name : names_in(earlier)) {
      bytes += name + ":" + media_test::read_bytes(earlier + "/" + name);
    }
    return bytes;
  };
  const std::string earlier_bytes = snapshot();

  const std::string path = dir.file("clip" + extension);
  const at::Tensor frames = noise_frames(24, options.height, options.width);
  {
    const FileSizeLimit full(16 * 1024);
    try {
      VideoWriter writer(path, options);
      for (int64_t first = 0; first < frames.size(0); first += 8) {
        writer.write_frames(frames.narrow(0, first, 8));
      }
      writer.finish();
      ADD_FAILURE() << "a clip larger than the disk's room was delivered";
    } catch (const DiskFullError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find("the disk is full"), std::string::npos) << message;
    }
  }
  EXPECT_FALSE(fs::exists(path)) << "a clip that did not fit appeared under its final name";
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"earlier" + extension})
      << "the failed clip's temporary was left behind";
  EXPECT_EQ(snapshot(), earlier_bytes) << "the earlier deliverable was changed";

  // Space freed: the same clip is delivered whole.
  VideoWriter writer(path, options);
  writer.write_frames(frames);
  writer.finish();
  const nlohmann::json probe = media_test::ffprobe(
      options.format == OutputFormat::PngSequence ? path + "/frame_%05d.png" : path,
      options.format == OutputFormat::PngSequence ? "-f image2 -framerate 16 -start_number 0" : "");
  EXPECT_EQ(probe["streams"][0]["nb_read_frames"], "24") << probe.dump();
}

INSTANTIATE_TEST_SUITE_P(Formats, VideoWriterDiskFull, ::testing::Values("mp4", "prores", "png"));

}  // namespace
}  // namespace motionfarm::io
