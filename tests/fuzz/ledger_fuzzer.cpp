// libFuzzer target: the job ledger (coordinator/job_ledger.h) and `motionfarm status`
// (coordinator/job_status.h) over a fuzzed SQLite file, as a rerun or `status` opens whatever a
// state folder holds.
//
// The input is written as `<state>/ledger.sqlite` (leftover -wal/-shm files removed), read by
// read_job_status and both status formats, then opened as a JobLedger and its tables read.
// Every step must succeed or throw a motionfarm::Error naming the ledger; any other exception or
// a sanitizer report is a finding. libsqlite3 is not instrumented.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include "coordinator/job_ledger.h"
#include "coordinator/job_status.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using motionfarm::fuzz::invariant_failed;

template <class Step>
void expect_motionfarm_error_or_success(const char* what, Step step) {
  try {
    step();
  } catch (const motionfarm::Error&) {
  } catch (const std::exception& error) {
    invariant_failed(std::string(what) + " threw a non-motionfarm exception: " + error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::filesystem::create_directories(motionfarm::fuzz::scratch_dir() + "/state");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace motionfarm::coordinator;
  motionfarm::fuzz::remove_scratch_file("state/ledger.sqlite-wal");
  motionfarm::fuzz::remove_scratch_file("state/ledger.sqlite-shm");
  motionfarm::fuzz::remove_scratch_file("state/ledger.sqlite-journal");
  motionfarm::fuzz::write_scratch_file("state/ledger.sqlite", data, size);
  const std::string state_dir = motionfarm::fuzz::scratch_dir() + "/state";

  expect_motionfarm_error_or_success("read_job_status", [&] {
    const JobStatus status = read_job_status(state_dir);
    format_status(status);
    status_json(status);
  });
  expect_motionfarm_error_or_success("JobLedger", [&] {
    JobLedger ledger(state_dir);
    ledger.job_value("name");
    ledger.assets();
    ledger.done_tasks();
    ledger.outputs();
  });
  return 0;
}
