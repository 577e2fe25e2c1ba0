#include "tests/support/file_size_limit.h"

#include <signal.h>

#include <algorithm>
#include <stdexcept>

namespace motionfarm::testing {

FileSizeLimit::FileSizeLimit(uint64_t bytes) {
  if (getrlimit(RLIMIT_FSIZE, &previous_) != 0) throw std::runtime_error("getrlimit failed");
  previous_handler_ = signal(SIGXFSZ, SIG_IGN);
  rlimit lowered = previous_;
  lowered.rlim_cur = std::min<rlim_t>(bytes, previous_.rlim_max);
  if (setrlimit(RLIMIT_FSIZE, &lowered) != 0) throw std::runtime_error("setrlimit failed");
}

FileSizeLimit::~FileSizeLimit() {
  setrlimit(RLIMIT_FSIZE, &previous_);
  signal(SIGXFSZ, previous_handler_);
}

}  // namespace motionfarm::testing
