// What every benchmark needs: which BLAS LibTorch is really using, memory high-water marks and
// robust timings. Benchmarks print ratios measured side by side in one run (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace motionfarm::bench {

// The BLAS/LAPACK/MKL/OpenMP libraries mapped into this process, resolved to real paths
// (e.g. ".../openblas-openmp/libblas.so.3"): the reference BLAS is ~50x slower than OpenBLAS.
std::vector<std::string> loaded_blas_libraries();
// One line: "blas: /usr/lib/.../openblas-openmp/libblas.so.3 (OpenBLAS, OpenMP)".
std::string describe_blas();

// Resets the kernel's peak-RSS counter (VmHWM) of this process, so a later peak_rss_bytes()
// measures one phase. Returns false where the kernel does not allow it.
bool reset_peak_rss();
int64_t peak_rss_bytes();
int64_t current_rss_bytes();

// Runs `work` `warmup` times untimed, then `repeats` times; returns the median seconds.
double median_seconds(const std::function<void()>& work, int repeats, int warmup = 1);

}  // namespace motionfarm::bench
