// What a render cost: wall time per stage and the process's peak memory.
#pragma once

#include <chrono>
#include <cstdint>

namespace motionfarm::rank {

// The process's peak resident set (VmHWM in /proc/self/status) in bytes; 0 where the kernel does
// not report it.
int64_t peak_resident_bytes();
// The process's resident set now (VmRSS) in bytes; 0 where the kernel does not report it.
int64_t resident_bytes();
// The host memory the kernel could give out now without swapping (MemAvailable in
// /proc/meminfo) in bytes; 0 where it does not report it.
int64_t host_available_bytes();

// Seconds since construction or the last lap().
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double lap();

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace motionfarm::rank
