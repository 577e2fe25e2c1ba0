// Killing the process during an encode leaves no file under the final name: a child process
// encodes, gets SIGKILL mid-clip, and the folder holds only its temporary, which the next writer
// of the same output removes before writing a complete file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "io/video_writer.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using motionfarm::testing::ScratchDir;

// Starts the helper with its stdout on a pipe; returns the pid and the first line it printed.
pid_t start_helper(const std::string& output, const std::string& format, std::string& first_line) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(MEDIA_KILL_HELPER, MEDIA_KILL_HELPER, output.c_str(), format.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  char c = 0;
  while (read(fds[0], &c, 1) == 1 && c != '\n') first_line += c;
  close(fds[0]);
  return pid;
}

class VideoWriterKill : public ::testing::TestWithParam<std::string> {};

TEST_P(VideoWriterKill, SigkillMidEncodeLeavesNoFileUnderTheFinalName) {
  ScratchDir scratch("kill");
  const std::string format = GetParam();
  const std::string path = scratch.file(format == "png" ? "frames" : "clip." + format);
  std::string line;
  const pid_t pid = start_helper(path, format, line);
  ASSERT_EQ(line.rfind("encoding ", 0), 0u) << "helper said: " << line;
  const std::string temporary = line.substr(9);
  // Let it write some more, so the kill really lands mid-file.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the helper ended on its own";

  EXPECT_FALSE(fs::exists(path)) << "a killed encode left a file under the final name";
  ASSERT_TRUE(fs::exists(temporary)) << "the killed encode's temporary should remain";
  EXPECT_GT(format == "png"
                ? std::distance(fs::directory_iterator(temporary), fs::directory_iterator())
                : std::ptrdiff_t(fs::file_size(temporary)),
            0);

  // The next writer of the same output removes the dead writer's temporary.
  VideoWriterOptions options;
  options.format = parse_output_format(format);
  options.width = 64;
  options.height = 48;
  options.threads = 1;
  VideoWriter writer(path, options);
  EXPECT_FALSE(fs::exists(temporary)) << "a stale temporary of a dead process was not removed";
  writer.write_frames(media_test::moving_gradient(3, 48, 64));
  writer.finish();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

INSTANTIATE_TEST_SUITE_P(Formats, VideoWriterKill, ::testing::Values("mp4", "png"));

}  // namespace
}  // namespace motionfarm::io
