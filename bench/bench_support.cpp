#include "bench/bench_support.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace motionfarm::bench {

std::vector<std::string> loaded_blas_libraries() {
  std::set<std::string> found;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string file = line.substr(slash);
    const std::string name = std::filesystem::path(file).filename().string();
    if (name.find("blas") != std::string::npos || name.find("lapack") != std::string::npos ||
        name.find("mkl") != std::string::npos || name.find("gomp") != std::string::npos) {
      std::error_code error;
      const auto real = std::filesystem::canonical(file, error);
      found.insert(error ? file : real.string());
    }
  }
  return {found.begin(), found.end()};
}

std::string describe_blas() {
  std::string blas;
  std::string kind = "unknown";
  for (const std::string& library : loaded_blas_libraries()) {
    if (library.find("libblas") != std::string::npos ||
        library.find("libopenblas") != std::string::npos ||
        library.find("mkl") != std::string::npos) {
      blas = library;
    }
  }
  if (blas.find("openblas-openmp") != std::string::npos) {
    kind = "OpenBLAS, OpenMP threads (follows at::set_num_threads)";
  } else if (blas.find("openblas-pthread") != std::string::npos) {
    kind = "OpenBLAS, pthreads (ignores at::set_num_threads!)";
  } else if (blas.find("/blas/") != std::string::npos) {
    kind = "reference BLAS (unoptimised: install libopenblas0-openmp)";
  } else if (blas.find("mkl") != std::string::npos) {
    kind = "MKL";
  }
  return "blas: " + (blas.empty() ? std::string("none found in /proc/self/maps") : blas) + " (" +
         kind + ")";
}

bool reset_peak_rss() {
  // Writing 5 to clear_refs resets VmHWM (Linux >= 4.0).
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

namespace {
int64_t status_kib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      int64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return 0;
}
}  // namespace

int64_t peak_rss_bytes() { return status_kib("VmHWM") * 1024; }
int64_t current_rss_bytes() { return status_kib("VmRSS") * 1024; }

double median_seconds(const std::function<void()>& work, int repeats, int warmup) {
  for (int i = 0; i < warmup; ++i) work();
  std::vector<double> seconds;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

}  // namespace motionfarm::bench
