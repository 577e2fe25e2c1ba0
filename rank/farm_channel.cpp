#include "rank/farm_channel.h"

#include <cstdint>

#include "core/check.h"

namespace motionfarm::rank {

void send_text(const parallel::MpiComm& comm, int destination, int tag, const std::string& text) {
  MF_CHECK_LE(text.size(), size_t{INT32_MAX}, CommError, "farm message too large");
  parallel::check_mpi(
      MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag, comm.get()),
      "MPI_Send (farm message)");
}

std::string receive_text(const parallel::MpiComm& comm, int source, int tag, int* from) {
  MPI_Status status;
  parallel::check_mpi(MPI_Probe(source, tag, comm.get(), &status), "MPI_Probe (farm message)");
  int count = 0;
  parallel::check_mpi(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  std::string text(static_cast<size_t>(count), '\0');
  parallel::check_mpi(
      MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, tag, comm.get(), MPI_STATUS_IGNORE),
      "MPI_Recv (farm message)");
  if (from) *from = status.MPI_SOURCE;
  return text;
}

bool message_waiting(const parallel::MpiComm& comm, int source, int tag, int* from) {
  int flag = 0;
  MPI_Status status;
  parallel::check_mpi(MPI_Iprobe(source, tag, comm.get(), &flag, &status), "MPI_Iprobe");
  if (flag && from) *from = status.MPI_SOURCE;
  return flag != 0;
}

void broadcast_text(const parallel::MpiComm& group, std::string& text, int root) {
  int64_t size = static_cast<int64_t>(text.size());
  parallel::check_mpi(MPI_Bcast(&size, 1, MPI_INT64_T, root, group.get()), "MPI_Bcast (size)");
  text.resize(static_cast<size_t>(size));
  if (size > 0) {
    parallel::check_mpi(MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, root, group.get()),
                        "MPI_Bcast (task)");
  }
}

}  // namespace motionfarm::rank
