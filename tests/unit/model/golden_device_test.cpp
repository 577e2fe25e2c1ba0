// Every golden case (../shared/golden) in the dtypes the GPU renders with and on a CUDA device,
// through the same runners as `motionfarm model verify --device D --dtype T`: on the CPU in bf16
// for the modules that run in bf16 on a GPU (the reduced-precision numerics, CI included); on a
// GPU, where one is visible (skipped elsewhere), in fp32 and in each module's production dtype
// (model/compute_dtypes.h). docs/gpu.md records the errors measured on a GPU.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <iostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "model/reference_case.h"
#include "tests/support/test_paths.h"

namespace motionfarm::model {
namespace {

class GoldenOnDevice
    : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {};

TEST_P(GoldenOnDevice, MatchesReferenceWithinTheDtypeTolerance) {
  const auto& [name, device, dtype] = GetParam();
  if (device == "cuda" && !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible";
  // fp32 must mean fp32: cuDNN would otherwise run the VAE's convolutions in TF32 (10-bit
  // mantissa).
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  const VerifyPlacement placement = VerifyPlacement::parse(device, dtype);
  const ReferenceCase reference_case =
      load_reference_case(testing::shared_dir() + "/golden/" + name);
  const std::vector<OutputComparison> comparisons =
      verify_reference_case(reference_case, placement);
  ASSERT_FALSE(comparisons.empty());
  for (const OutputComparison& c : comparisons) {
    // The figure docs/models.md quotes: printed for every run, asserted against the stated bar.
    std::cout << "[golden on device] " << name << " " << c.name << " "
              << placement.describe(reference_case.module) << ": max rel " << c.relative_error()
              << "\n";
    EXPECT_TRUE(c.passed()) << name << " output " << c.name << ": max rel " << c.relative_error()
                            << " over " << c.tolerance << " in " << dtype;
  }
}

using Placements = std::vector<std::pair<std::string, std::string>>;  // device, dtype

std::vector<GoldenOnDevice::ParamType> cases(const std::vector<const char*>& names,
                                             const Placements& placements) {
  std::vector<GoldenOnDevice::ParamType> params;
  for (const char* name : names) {
    for (const auto& [device, dtype] : placements) params.emplace_back(name, device, dtype);
  }
  return params;
}

std::string case_label(const ::testing::TestParamInfo<GoldenOnDevice::ParamType>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" + std::get<2>(info.param);
}

// The VAE stays fp32 everywhere (model/compute_dtypes.h), and the CPU has no fp16 matmul in every
// LibTorch, so the CPU checks bf16 where the GPU uses bf16 or fp16.
INSTANTIATE_TEST_SUITE_P(CpuBf16, GoldenOnDevice,
                         ::testing::ValuesIn(cases({"wan21_t2v_tiny", "wan22_ti2v_tiny",
                                                    "umt5_tiny", "clip_vit_tiny"},
                                                   {{"cpu", "bf16"}})),
                         case_label);
INSTANTIATE_TEST_SUITE_P(Cuda, GoldenOnDevice,
                         ::testing::ValuesIn(cases({"wan21_t2v_tiny", "wan22_ti2v_tiny",
                                                    "umt5_tiny", "clip_vit_tiny"},
                                                   {{"cuda", "fp32"}, {"cuda", "production"}})),
                         case_label);
// The VAE's production dtype is fp32 on a GPU too: one run of each case.
INSTANTIATE_TEST_SUITE_P(CudaVae, GoldenOnDevice,
                         ::testing::ValuesIn(cases({"wan21_vae_tiny", "wan22_vae_tiny"},
                                                   {{"cuda", "fp32"}})),
                         case_label);

}  // namespace
}  // namespace motionfarm::model
