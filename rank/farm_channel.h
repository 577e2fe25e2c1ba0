// How farm messages travel: JSON text over MPI point-to-point messages on the farm communicator
// (a duplicate of the leaders' communicator, so no other traffic can match them), and the task
// text broadcast from a group's leader to its members.
//
// Tags keep the directions apart, because on rank 0 the coordinator thread and the group-0 leader
// share one process and one communicator rank:
//   kTagReport      leader -> coordinator   TaskReport (ready/done/failed/interrupted/progress)
//   kTagAssignment  coordinator -> leader   Assignment (a task, or stop)
//   kTagStepReply   coordinator -> leader   after a kProgress report: "go" on, or "stop" at this
//                                           step boundary (the job is stopping)
#pragma once

#include <string>

#include "parallel/mpi_comm.h"

namespace motionfarm::rank {

inline constexpr int kTagReport = 7101;
inline constexpr int kTagAssignment = 7102;
inline constexpr int kTagStepReply = 7103;

// Point to point: only the two ranks named take part.
void send_text(const parallel::MpiComm& comm, int destination, int tag, const std::string& text);
// Blocks until a message with `tag` arrives from `source` (MPI_ANY_SOURCE allowed); `from` gets
// the sender's rank when not null.
std::string receive_text(const parallel::MpiComm& comm, int source, int tag, int* from = nullptr);
// True when a message with `tag` from `source` is waiting (does not receive it).
bool message_waiting(const parallel::MpiComm& comm, int source, int tag, int* from = nullptr);

// Collective over `group`: every rank calls it; `text` is the root's on return everywhere.
void broadcast_text(const parallel::MpiComm& group, std::string& text, int root);

}  // namespace motionfarm::rank
