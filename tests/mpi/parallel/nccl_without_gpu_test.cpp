// On a machine without a GPU the NCCL communicator must fail at once, on every rank, with a
// message that says what is missing — never hang in NCCL's init waiting for a peer.
#include <gtest/gtest.h>

#include "core/error.h"
#include "parallel/gpu_runtime.h"
#include "parallel/nccl_communicator.h"

namespace motionfarm::parallel {
namespace {

TEST(NcclCommunicator, FailsClearlyOnEveryRankWithoutAGpu) {
  if (probe_gpu_runtime().device_count > 0) GTEST_SKIP() << "this machine has a GPU";
  try {
    NcclCommunicator nccl(MpiComm::world(), 0);
    FAIL() << "expected CommError";
  } catch (const CommError& error) {
    EXPECT_NE(std::string(error.what()).find("needs a GPU"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace motionfarm::parallel
