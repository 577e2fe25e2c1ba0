// MPI's lifetime as one RAII object, created first thing in main.
//
// Initialises MPI with the thread level motionfarm needs (the coordinator runs in its own thread on
// rank 0 and talks MPI, so MPI_THREAD_MULTIPLE) and finalises it on every exit path. When the
// process was not started by an MPI launcher, MPI still initialises as a world of one (singleton).
#pragma once

#include <string>

namespace motionfarm::parallel {

class MpiRuntime {
 public:
  // Throws CommError when the library cannot give at least `required_thread_level`.
  MpiRuntime(int* argc, char*** argv, int required_thread_level);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  int world_rank() const { return world_rank_; }
  int world_size() const { return world_size_; }
  int provided_thread_level() const { return provided_; }

  // Ends every rank of the job now (MPI_Abort) with `exit_code`: for unrecoverable failures, so
  // no rank waits forever on a dead peer.
  [[noreturn]] static void abort_job(int exit_code);

  // "Open MPI v4.1.4, ..." as reported by MPI_Get_library_version (callable before init).
  static std::string library_version();

 private:
  int world_rank_ = 0;
  int world_size_ = 1;
  int provided_ = 0;
  bool owns_init_ = false;
};

}  // namespace motionfarm::parallel
