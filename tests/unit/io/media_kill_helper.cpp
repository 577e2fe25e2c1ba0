// Child process for the kill test: encodes an endless clip to argv[1] in format argv[2], printing
// "encoding <temporary path>" once the first segment is written, until it is killed. Gives up
// after 60 s (exit 3) so a parent that died cannot leave it running.
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include "io/video_writer.h"

int main(int argc, char** argv) {
  using namespace motionfarm::io;
  if (argc != 3) {
    std::fprintf(stderr, "usage: media_kill_helper OUTPUT FORMAT\n");
    return 2;
  }
  try {
    VideoWriterOptions options;
    options.format = parse_output_format(argv[2]);
    options.width = 128;
    options.height = 96;
    options.threads = 1;
    VideoWriter writer(argv[1], options);
    const at::Tensor segment = at::rand({4, 3, 96, 128}) * 2 - 1;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      writer.write_frames(segment);
      if (i == 1) {
        std::printf("encoding %s\n", writer.temporary_path().c_str());
        std::fflush(stdout);
      }
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(60)) return 3;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "media_kill_helper: %s\n", error.what());
    return 1;
  }
}
