#include "rank/resource_usage.h"

#include <fstream>
#include <sstream>
#include <string>

namespace motionfarm::rank {

namespace {

// The value of the "<key>: N kB" line of a /proc file, in bytes; 0 when it has none.
int64_t proc_kibibytes(const char* file, const std::string& key) {
  std::ifstream status(file);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream fields(line.substr(key.size()));
    int64_t kibibytes = 0;
    fields >> kibibytes;
    return kibibytes * 1024;
  }
  return 0;
}

}  // namespace

int64_t peak_resident_bytes() { return proc_kibibytes("/proc/self/status", "VmHWM:"); }

int64_t resident_bytes() { return proc_kibibytes("/proc/self/status", "VmRSS:"); }

int64_t host_available_bytes() { return proc_kibibytes("/proc/meminfo", "MemAvailable:"); }

double Stopwatch::lap() {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  start_ = now;
  return seconds;
}

}  // namespace motionfarm::rank
