// GoogleTest main for tests that run as real MPI ranks (mpirun -np N).
//
// Every rank runs every test. Only rank 0 prints the usual progress; other ranks print their
// failures, prefixed with the rank. The exit code is the worst over all ranks, so the job fails
// when any rank fails.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <iostream>

#include "parallel/mpi_runtime.h"

namespace {

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cerr << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?") << ":"
              << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  motionfarm::parallel::MpiRuntime mpi(&argc, &argv, MPI_THREAD_MULTIPLE);
  at::set_num_threads(1);
  ::testing::InitGoogleTest(&argc, argv);
  if (mpi.world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    // GoogleTest owns its listeners by raw pointer: Release hands the default printer back to us.
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(mpi.world_rank()));
  }
  int local = RUN_ALL_TESTS();
  int worst = local;
  MPI_Allreduce(&local, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (mpi.world_rank() == 0 && worst != 0 && local == 0) {
    std::cerr << "another rank failed: see its [rank N] lines above" << std::endl;
  }
  return worst;
}
