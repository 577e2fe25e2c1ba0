// Crash safety: a child process writes states and segments in a loop and is killed with SIGKILL
// at random moments; after every kill the store opens and everything it reports complete verifies
// and holds exactly what was written for it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "io/latent_store.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/latent_store_test_support.h"

namespace motionfarm::io {
namespace {

namespace fs = std::filesystem;
using namespace latent_store_test;
using motionfarm::testing::ScratchDir;

// Large enough that a write takes a few milliseconds, so most kills land inside one.
const std::vector<int64_t> kShape = {16, 4, 32, 32};  // 256 KiB per tensor
constexpr int kStepsPerSegment = 10;

// What the child writes, made before fork(): a forked child of a process that has used LibTorch
// should not start LibTorch work of its own (its thread pools did not survive the fork).
struct Fixtures {
  std::vector<SamplingState> states;  // by step
  std::vector<at::Tensor> segments;   // by segment
};
Fixtures make_fixtures() {
  Fixtures fixtures;
  for (int step = 0; step < kStepsPerSegment; ++step) {
    fixtures.states.push_back(tagged_state(step, kShape));
  }
  for (int segment = 0; segment < 8; ++segment) {
    fixtures.segments.push_back(tagged_latent(segment, at::kFloat, kShape));
  }
  return fixtures;
}

// The child: continues the render the store describes, writing a state after every step and the
// segment after its last step, forever (the chain starts over after 8 segments). Never returns.
[[noreturn]] void render_forever(const std::string& path, const Fixtures& fixtures) {
  try {
    LatentStore store = LatentStore::open(path, identity());
    for (;;) {
      int segment = 0;
      while (store.has_complete_segment(segment) && segment < 7) ++segment;
      int64_t step = store.has_state(segment) ? store.read_state(segment)->step_index + 1 : 1;
      if (store.has_complete_segment(segment)) {  // all 8 done: start the chain over
        for (int i = 0; i < 8; ++i) store.discard_segment(i);
        segment = 0;
        step = 1;
      }
      if (step < kStepsPerSegment) {
        store.write_state(segment, fixtures.states[static_cast<size_t>(step)]);
      } else {
        store.write_segment(segment, fixtures.segments[static_cast<size_t>(segment)]);
      }
    }
  } catch (const std::exception& error) {
    fprintf(stderr, "render_forever: %s\n", error.what());
    _exit(3);
  }
}

int count_temporaries(const std::string& folder) {
  int count = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().find(".partial-") != std::string::npos) ++count;
  }
  return count;
}

TEST(LatentStoreKill, SigkillAtRandomMomentsLeavesAVerifiableStore) {
  ScratchDir scratch("kill");
  const std::string path = scratch.file("asset.h5");
  LatentStore::create(path, meta());
  const Fixtures fixtures = make_fixtures();
  std::mt19937 random(20240611);
  int kills_mid_write = 0;
  int64_t progress = 0;
  constexpr int kRounds = 24;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) render_forever(path, fixtures);
    std::this_thread::sleep_for(std::chrono::microseconds(5000 + random() % 60000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer ended on its own (exit " << WEXITSTATUS(status) << ")";
    if (count_temporaries(scratch.path()) > 0) ++kills_mid_write;

    // Whatever moment the kill hit, the store opens and all it claims verifies.
    const LatentStore store = LatentStore::open(path, identity());
    for (int segment : store.segment_indices()) {
      if (store.has_complete_segment(segment)) {
        EXPECT_TRUE(bitwise_equal(store.read_segment(segment),
                                  fixtures.segments[static_cast<size_t>(segment)]))
            << "round " << round << " segment " << segment;
        ++progress;
      }
      if (store.has_state(segment)) {
        const std::optional<SamplingState> state = store.read_state(segment);
        ASSERT_TRUE(state.has_value());
        const SamplingState& expected = fixtures.states[static_cast<size_t>(state->step_index)];
        EXPECT_TRUE(bitwise_equal(state->latent, expected.latent)) << "round " << round;
        EXPECT_TRUE(bitwise_equal(state->last_sample, expected.last_sample)) << "round " << round;
        ASSERT_EQ(state->model_outputs.size(), expected.model_outputs.size());
        ++progress;
      }
    }
  }
  // The test means something only if kills landed inside writes and the render moved on.
  std::printf("%d of %d kills landed mid-write; %lld segments/states verified\n", kills_mid_write,
              kRounds, static_cast<long long>(progress));
  EXPECT_GT(kills_mid_write, 0) << "no kill landed mid-write; lengthen the writes";
  EXPECT_GT(progress, 0);

  // The next writer removes the dead writers' temporaries.
  LatentStore store = LatentStore::open(path, identity());
  store.write_state(9, fixtures.states[1]);
  EXPECT_EQ(count_temporaries(scratch.path()), 0);
}

}  // namespace
}  // namespace motionfarm::io
