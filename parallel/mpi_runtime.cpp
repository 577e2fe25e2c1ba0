#include "parallel/mpi_runtime.h"

#include <mpi.h>

#include <cstdlib>

#include "core/error.h"

namespace motionfarm::parallel {

namespace {
const char* thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED:
      return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED:
      return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE:
      return "MPI_THREAD_MULTIPLE";
  }
  return "unknown";
}
}  // namespace

MpiRuntime::MpiRuntime(int* argc, char*** argv, int required_thread_level) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    if (MPI_Init_thread(argc, argv, required_thread_level, &provided_) != MPI_SUCCESS) {
      throw CommError("MPI_Init_thread failed: check the MPI installation and launcher");
    }
    owns_init_ = true;
  } else {
    MPI_Query_thread(&provided_);
  }
  if (provided_ < required_thread_level) {
    if (owns_init_) MPI_Finalize();
    throw CommError(std::string("the MPI library provides only ") + thread_level_name(provided_) +
                    " but motionfarm needs " + thread_level_name(required_thread_level) +
                    ": use an MPI built with thread support (Debian's Open MPI is)");
  }
  // Errors come back as return codes so they can be turned into CommError with context.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size_);
}

MpiRuntime::~MpiRuntime() {
  if (!owns_init_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiRuntime::abort_job(int exit_code) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

std::string MpiRuntime::library_version() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<size_t>(length));
  // Open MPI appends build details after the first comma-separated fields; keep the first line.
  const auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace motionfarm::parallel
