// The per-GPU throughput table the capacity planner reads (configs/gpus.yaml): sustained bf16
// FLOP/s, memory and interconnect bandwidth per GPU kind. Measured numbers replace the shipped
// estimates when `motionfarm bench calibrate` rewrites the file.
#pragma once

#include <map>
#include <string>

namespace motionfarm::coordinator {

struct GpuSpec {
  std::string name;          // "H100"
  double bf16_tflops = 0.0;  // dense peak
  double efficiency = 0.0;   // fraction of the peak a DiT forward sustains, in (0, 1]
  double memory_gib = 0.0;
  double nvlink_gb_s = 0.0;  // per GPU, to GPUs of the same node, one way

  // FLOP/s a DiT forward sustains on one GPU.
  double sustained_flops() const { return bf16_tflops * 1e12 * efficiency; }
};

struct GpuTable {
  std::map<std::string, GpuSpec> gpus;  // by name
  double infiniband_gb_s = 0.0;         // per GPU, across nodes, one way

  // Throws ConfigError listing the known kinds when `name` is not one (case-insensitive match).
  const GpuSpec& at(const std::string& name) const;
};

// Reads a table written like configs/gpus.yaml; ConfigError names the file and the bad key.
GpuTable load_gpu_table(const std::string& path);

// configs/gpus.yaml, found through core::find_config_file.
GpuTable load_default_gpu_table();

}  // namespace motionfarm::coordinator
