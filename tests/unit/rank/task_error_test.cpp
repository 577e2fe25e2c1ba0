// How the farm records a failed task (rank/task_error.h): a real LibTorch allocation failure on
// the CPU is "out-of-memory" with a message that says so; each typed error keeps its type.
#include "rank/task_error.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <new>

#include "core/error.h"
#include "rank/finite_check.h"

namespace motionfarm::rank {
namespace {

TEST(TaskError, AFrameworkAllocationFailureIsOutOfMemory) {
  try {
    // 4 PiB: more than any machine has, so the CPU allocator refuses at once (no overcommit
    // heuristic lets an allocation this size through). ASan builds need allocator_may_return_null
    // (scripts/sanitize) to see the same error instead of aborting.
    const at::Tensor huge = at::empty({int64_t{1} << 50}, at::kFloat);
    FAIL() << "allocated " << huge.numel() << " floats";
  } catch (const std::exception& error) {
    EXPECT_EQ(task_error_type(error), "out-of-memory") << error.what();
    EXPECT_EQ(task_error_message(error).rfind("out of memory: ", 0), 0u)
        << task_error_message(error);
  }
  EXPECT_EQ(task_error_type(std::bad_alloc()), "out-of-memory");
  EXPECT_EQ(task_error_type(Error("CUDA out of memory. Tried to allocate 2.00 GiB")),
            "out-of-memory");
  EXPECT_EQ(task_error_message(Error("CUDA out of memory. Tried to allocate 2.00 GiB")),
            "out of memory: CUDA out of memory. Tried to allocate 2.00 GiB");
}

TEST(TaskError, EachTypedErrorKeepsItsType) {
  EXPECT_EQ(task_error_type(NonFiniteError("x")), "non-finite");
  EXPECT_EQ(task_error_type(InputError("x")), "input");
  EXPECT_EQ(task_error_type(OutputPathError("x")), "output-path");
  EXPECT_EQ(task_error_type(ConfigError("x")), "config");
  EXPECT_EQ(task_error_type(ModelError("x")), "model");
  EXPECT_EQ(task_error_type(CheckpointError("x")), "checkpoint");
  EXPECT_EQ(task_error_type(DiskFullError("x")), "disk-full");
  EXPECT_EQ(task_error_type(Error("x")), "internal");
  EXPECT_EQ(task_error_message(DiskFullError("disk full at /x")), "disk full at /x");
}

}  // namespace
}  // namespace motionfarm::rank
