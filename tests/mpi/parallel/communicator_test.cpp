// Every collective of the MPI Communicator, checked against the value each rank can compute alone.
#include <gtest/gtest.h>

#include "core/error.h"
#include "parallel/mpi_communicator.h"

namespace motionfarm::parallel {
namespace {

class CommunicatorTest : public ::testing::Test {
 protected:
  MpiCommunicator comm{MpiComm::world()};
  int rank = comm.rank();
  int size = comm.size();
};

TEST_F(CommunicatorTest, AllReduceSumsMaxesAndMins) {
  at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3}) * (rank + 1);
  comm.all_reduce(t);
  const float rank_sum = size * (size + 1) / 2.0f;
  EXPECT_TRUE(at::equal(t, at::arange(6, at::kFloat).reshape({2, 3}) * rank_sum));

  at::Tensor m = at::full({4}, static_cast<double>(rank), at::kDouble);
  comm.all_reduce(m, ReduceOp::Max);
  EXPECT_TRUE(at::equal(m, at::full({4}, size - 1.0, at::kDouble)));
  comm.all_reduce(m, ReduceOp::Min);
  EXPECT_TRUE(at::equal(m, at::full({4}, size - 1.0, at::kDouble)));
}

TEST_F(CommunicatorTest, AllReduceOfBFloat16IsComputedInFloat) {
  at::Tensor t = at::full({8}, 0.5, at::kBFloat16);
  comm.all_reduce(t);
  EXPECT_EQ(t.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::equal(t.to(at::kFloat), at::full({8}, 0.5f * size)));
}

TEST_F(CommunicatorTest, AllGatherConcatenatesInRankOrder) {
  at::Tensor mine = at::full({2, 3}, static_cast<float>(rank));
  at::Tensor all = comm.all_gather(mine);
  ASSERT_EQ(all.sizes(), (at::IntArrayRef{2 * size, 3}));
  for (int r = 0; r < size; ++r) {
    EXPECT_TRUE(at::equal(all.slice(0, 2 * r, 2 * r + 2), at::full({2, 3}, static_cast<float>(r))));
  }
}

TEST_F(CommunicatorTest, ReduceScatterReturnsThisRanksSliceOfTheSum) {
  at::Tensor input = at::arange(size * 4, at::kFloat).reshape({size * 2, 2}) + rank;
  at::Tensor part = comm.reduce_scatter(input);
  const float rank_sum = size * (size - 1) / 2.0f;
  at::Tensor expected = (at::arange(size * 4, at::kFloat).reshape({size * 2, 2}) * size + rank_sum)
                            .slice(0, 2 * rank, 2 * rank + 2);
  EXPECT_TRUE(at::equal(part, expected));
}

TEST_F(CommunicatorTest, AllToAllEqualSplitsTransposeBlocks) {
  // Row j of rank r holds 100*r + j; after the exchange row s holds 100*s + rank.
  at::Tensor input = at::arange(size, at::kLong) + 100 * rank;
  at::Tensor output = comm.all_to_all(input);
  EXPECT_TRUE(at::equal(output, at::arange(size, at::kLong) * 100 + rank));
}

TEST_F(CommunicatorTest, AllToAllUnevenSplits) {
  // Rank r sends (d + 1) rows to rank d, each row filled with 10*r + d.
  std::vector<int64_t> send_counts(size), recv_counts(size);
  std::vector<at::Tensor> parts;
  for (int d = 0; d < size; ++d) {
    send_counts[d] = d + 1;
    recv_counts[d] = rank + 1;
    parts.push_back(at::full({d + 1, 3}, 10.0f * rank + d));
  }
  at::Tensor output = comm.all_to_all(at::cat(parts), send_counts, recv_counts);
  ASSERT_EQ(output.size(0), size * (rank + 1));
  for (int s = 0; s < size; ++s) {
    EXPECT_TRUE(at::equal(output.slice(0, s * (rank + 1), (s + 1) * (rank + 1)),
                          at::full({rank + 1, 3}, 10.0f * s + rank)));
  }
}

TEST_F(CommunicatorTest, BroadcastFromEveryRoot) {
  for (int root = 0; root < size; ++root) {
    at::Tensor t = at::full({5}, static_cast<float>(rank));
    comm.broadcast(t, root);
    EXPECT_TRUE(at::equal(t, at::full({5}, static_cast<float>(root))));
  }
}

TEST_F(CommunicatorTest, SendRecvAroundTheRing) {
  at::Tensor outgoing = at::full({3}, static_cast<float>(rank));
  at::Tensor incoming = at::empty({3});
  const int next = (rank + 1) % size;
  const int previous = (rank + size - 1) % size;
  // Even ranks send first, odd ranks receive first: no deadlock without buffering.
  if (rank % 2 == 0) {
    comm.send(outgoing, next, 7);
    comm.recv(incoming, previous, 7);
  } else {
    comm.recv(incoming, previous, 7);
    comm.send(outgoing, next, 7);
  }
  EXPECT_TRUE(at::equal(incoming, at::full({3}, static_cast<float>(previous))));
}

TEST_F(CommunicatorTest, CountsBytesSent) {
  comm.reset_stats();
  at::Tensor t = at::zeros({size * 4}, at::kFloat);
  comm.all_to_all(t);
  EXPECT_EQ(comm.stats().bytes_sent, 4 * 4 * (size - 1));
  EXPECT_EQ(comm.stats().collectives, 1);
}

TEST_F(CommunicatorTest, RejectsIndivisibleAllToAllWithAClearError) {
  at::Tensor t = at::zeros({size + 1});
  try {
    comm.all_to_all(t);
    FAIL() << "expected CommError";
  } catch (const CommError& error) {
    EXPECT_NE(std::string(error.what()).find("divisible"), std::string::npos) << error.what();
  }
  comm.barrier();
}

}  // namespace
}  // namespace motionfarm::parallel
