// An owned MPI communicator: freed when the owner goes, never a bare MPI_Comm passed around.
#pragma once

#include <mpi.h>

#include <utility>

namespace motionfarm::parallel {

class MpiComm {
 public:
  // Borrows MPI_COMM_WORLD (never freed) — the root of every split.
  static MpiComm world();
  // Owns a duplicate of `comm`, so motionfarm's traffic never matches another library's messages.
  static MpiComm duplicate(MPI_Comm comm);

  MpiComm() = default;
  ~MpiComm();
  MpiComm(MpiComm&& other) noexcept
      : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
        owned_(std::exchange(other.owned_, false)) {}
  MpiComm& operator=(MpiComm&& other) noexcept;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  // Collective over this communicator: ranks with equal `color` form one new communicator,
  // ordered by `key`.
  MpiComm split(int color, int key) const;
  // Collective: ranks that share memory (one node) form one communicator.
  MpiComm split_shared_memory(int key) const;

  MPI_Comm get() const { return comm_; }
  bool valid() const { return comm_ != MPI_COMM_NULL; }
  int rank() const;
  int size() const;

 private:
  MpiComm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {}
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
};

// Throws CommError naming `what` and MPI's own error text when `code` is not MPI_SUCCESS.
void check_mpi(int code, const char* what);

}  // namespace motionfarm::parallel
