// Output paths at write time (issue #12): a deliverable written with an OutputPolicy never lands
// outside its output root — not through "..", not as an absolute path elsewhere, not through a
// folder that became a symlink after the manifest was validated (before the writer opened, or
// while it encoded) — and never replaces a file it may not replace, including one that appears
// while it encodes. Each refusal is an OutputPathError naming the path, and nothing is written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/output_path.h"
#include "io/video_writer.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;

VideoWriterOptions small_clip() {
  VideoWriterOptions options;
  options.width = 64;
  options.height = 48;
  options.threads = 1;
  return options;
}

std::vector<std::string> everything_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    names.push_back(fs::relative(entry.path(), folder).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Expects `make` to throw OutputPathError whose message holds every one of `parts`.
template <class Fn>
void expect_refused(Fn make, const std::vector<std::string>& parts) {
  try {
    make();
    ADD_FAILURE() << "the write was not refused";
  } catch (const OutputPathError& error) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
  }
}

// Swaps `folder` for a symlink to `target` (the real folder moves aside, contents and all).
void swap_for_link(const std::string& folder, const std::string& target) {
  fs::rename(folder, folder + ".real");
  fs::create_directory_symlink(target, folder);
}

class OutputPolicyTest : public ::testing::Test {
 protected:
  ScratchDir root_{"policy-root"};
  ScratchDir outside_{"policy-outside"};
  OutputPolicy policy() const { return {root_.path(), true}; }
};

TEST_F(OutputPolicyTest, DotDotAndAbsolutePathsOutsideTheRootAreRefused) {
  const std::string dotdot = root_.path() + "/shots/../../escaped.mp4";
  EXPECT_NE(output_path_escape(root_.path(), dotdot).find("is outside output.root"),
            std::string::npos);
  expect_refused([&] { VideoWriter(dotdot, small_clip(), policy()); },
                 {"escaped.mp4", "outside output.root"});
  const std::string absolute = outside_.file("elsewhere.mp4");
  expect_refused([&] { VideoWriter(absolute, small_clip(), policy()); },
                 {absolute, "outside output.root"});
  EXPECT_TRUE(everything_in(outside_.path()).empty());
  EXPECT_FALSE(fs::exists(fs::path(root_.path()).parent_path() / "escaped.mp4"));
}

TEST_F(OutputPolicyTest, AFolderSwappedForASymlinkBeforeTheWriterOpensIsRefused) {
  fs::create_directories(root_.file("shots"));
  const std::string path = root_.file("shots/a.mp4");
  ASSERT_EQ(output_path_escape(root_.path(), path), "");  // what validation saw
  swap_for_link(root_.file("shots"), outside_.path());
  EXPECT_NE(output_path_escape(root_.path(), path).find("is a symlink to"), std::string::npos);
  expect_refused([&] { VideoWriter(path, small_clip(), policy()); },
                 {path, root_.file("shots") + " is a symlink to"});
  EXPECT_TRUE(everything_in(outside_.path()).empty()) << "a file was written outside the root";
}

TEST_F(OutputPolicyTest, AFolderSwappedForASymlinkWhileTheClipIsEncodedIsRefusedAtTheRename) {
  for (const std::string format : {"mp4", "png"}) {
    SCOPED_TRACE(format);
    const std::string folder = root_.file("shots-" + format);
    fs::create_directories(folder);
    VideoWriterOptions options = small_clip();
    options.format = parse_output_format(format);
    const std::string path = folder + "/a" + output_format_info(options.format).extension;
    VideoWriter writer(path, options, policy());
    writer.write_frames(media_test::moving_gradient(3, 48, 64));
    swap_for_link(folder, outside_.path());
    expect_refused([&] { writer.finish(); }, {path, folder + " is a symlink to"});
    EXPECT_TRUE(everything_in(outside_.path()).empty()) << "a file was written outside the root";
  }
}

TEST_F(OutputPolicyTest, ALinkThatStaysInsideTheRootIsFollowed) {
  fs::create_directories(root_.file("real"));
  fs::create_directory_symlink(root_.file("real"), root_.file("alias"));
  VideoWriter writer(root_.file("alias/a.mp4"), small_clip(), policy());
  writer.write_frames(media_test::moving_gradient(3, 48, 64));
  writer.finish();
  EXPECT_TRUE(fs::exists(root_.file("real/a.mp4")));
}

TEST_F(OutputPolicyTest, AnExistingFileIsReplacedOnlyWhenThePolicyAllows) {
  const std::string path = root_.file("a.mp4");
  std::ofstream(path) << "someone else's clip";
  const OutputPolicy keep{root_.path(), false};
  expect_refused([&] { VideoWriter(path, small_clip(), keep); },
                 {path, "already exists and is not replaced", "output.overwrite"});
  EXPECT_EQ(media_test::read_bytes(path), "someone else's clip");

  VideoWriter writer(path, small_clip(), policy());  // replace_existing: true
  writer.write_frames(media_test::moving_gradient(3, 48, 64));
  writer.finish();
  EXPECT_NE(media_test::read_bytes(path), "someone else's clip");
}

TEST_F(OutputPolicyTest, AFileThatAppearsWhileTheClipIsEncodedIsKept) {
  for (const std::string format : {"mp4", "png"}) {
    SCOPED_TRACE(format);
    VideoWriterOptions options = small_clip();
    options.format = parse_output_format(format);
    const std::string path =
        root_.file("late-" + format + output_format_info(options.format).extension);
    {
      VideoWriter writer(path, options, {root_.path(), false});
      writer.write_frames(media_test::moving_gradient(3, 48, 64));
      if (format == "png") {
        fs::create_directory(path);
        std::ofstream(path + "/frame_00000.png") << "someone else's frame";
      } else {
        std::ofstream(path) << "someone else's clip";
      }
      expect_refused([&] { writer.finish(); }, {path, "appeared while it was being written"});
    }
    EXPECT_EQ(media_test::read_bytes(format == "png" ? path + "/frame_00000.png" : path),
              format == "png" ? "someone else's frame" : "someone else's clip");
  }
  // Only the two intruders are left: no temporary of the refused writers.
  EXPECT_EQ(everything_in(root_.path()),
            (std::vector<std::string>{"late-mp4.mp4", "late-png", "late-png/frame_00000.png"}));
}

}  // namespace
}  // namespace motionfarm::io
