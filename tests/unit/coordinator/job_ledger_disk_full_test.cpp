// The job ledger on a full disk (issue #12), made real with RLIMIT_FSIZE
// (tests/support/file_size_limit.h): the failing write throws a DiskFullError that names the
// ledger and says the disk is full; every transaction committed before it is intact, the failed
// one left nothing behind (all of its writes or none), and the ledger opens and takes writes again
// once there is room.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "coordinator/job_ledger.h"
#include "core/error.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

namespace fs = std::filesystem;

uint64_t largest_file_in(const std::string& folder) {
  uint64_t largest = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    largest = std::max<uint64_t>(largest, entry.file_size());
  }
  return largest;
}

TEST(JobLedgerDiskFull, AWriteThatDoesNotFitNamesTheLedgerAndEveryCommittedRecordSurvives) {
  testing::ScratchDir state("ledger-disk-full");
  {
    JobLedger ledger(state.path());
    ledger.set_job_value("name", "full-disk");
    ledger.begin_run(1, "auto");
  }
  const std::string value(8 * 1024, 'x');  // two pages a row: the WAL grows fast
  int committed = 0;
  std::string message;
  bool transaction_failed = false;
  {
    // The ledger's files may grow 128 KiB past the largest of them (the WAL index included).
    const testing::FileSizeLimit full(largest_file_in(state.path()) + 128 * 1024);
    JobLedger ledger(state.path());
    try {
      for (; committed < 10000; ++committed) {
        ledger.set_job_value("key-" + std::to_string(committed), value);
      }
    } catch (const DiskFullError& error) {
      message = error.what();
    }
    // A transaction that does not fit: rolled back whole.
    try {
      ledger.atomically([&] {
        for (int i = 0; i < 3; ++i) ledger.set_job_value("together-" + std::to_string(i), value);
      });
    } catch (const DiskFullError&) {
      transaction_failed = true;
    }
  }  // the ledger closes while the disk is still full
  ASSERT_LT(committed, 10000) << "the disk never filled";
  EXPECT_GT(committed, 0);
  EXPECT_NE(message.find("job ledger " + JobLedger::path_in(state.path())), std::string::npos)
      << message;
  EXPECT_NE(message.find("the disk is full"), std::string::npos) << message;
  EXPECT_TRUE(transaction_failed);

  // Room again: the ledger opens, holds exactly what was committed, and takes writes.
  JobLedger ledger(state.path());
  EXPECT_EQ(ledger.job_value("name"), "full-disk");
  for (int i = 0; i < committed; ++i) {
    ASSERT_EQ(ledger.job_value("key-" + std::to_string(i)), value) << "committed row " << i;
  }
  EXPECT_FALSE(ledger.job_value("key-" + std::to_string(committed)).has_value());
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(ledger.job_value("together-" + std::to_string(i)).has_value());
  }
  ledger.set_job_value("after", "space freed");
  EXPECT_EQ(ledger.job_value("after"), "space freed");
  EXPECT_GT(ledger.begin_run(1, "auto"), 1);
}

}  // namespace
}  // namespace motionfarm::coordinator
