// What a render cost: wall time per stage and the process's peak memory.
#pragma once

#include <chrono>
#include <cstdint>

namespace motionfarm::rank {

// The process's peak resident set (VmHWM in /proc/self/status) in bytes; 0 where the kernel does
// not report it.
int64_t peak_resident_bytes();

// Seconds since construction or the last lap().
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double lap();

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace motionfarm::rank
