// `motionfarm model verify` and `model inspect` end to end, on the golden cases and on cases this
// test derives from them (a wrong expected output, another name layout, a missing tensor).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/exit_codes.h"
#include "io/safetensors.h"
#include "model/checkpoint_names.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm {
namespace {

using testing::run_command;
using testing::shell_quote;

const std::string kBinary = MOTIONFARM_BINARY;

std::string golden(const std::string& name) { return testing::shared_dir() + "/golden/" + name; }

// Copies a golden case under `dir`, letting `edit` change the io tensors before they are written.
std::string copy_case(const testing::ScratchDir& dir, const std::string& name,
                      const std::function<void(std::map<std::string, at::Tensor>&)>& edit) {
  const std::string prefix = dir.file(name);
  std::filesystem::copy_file(golden(name) + ".json", prefix + ".json");
  std::filesystem::copy_file(golden(name) + ".safetensors", prefix + ".safetensors");
  const auto io = io::SafetensorsCheckpoint::open(golden(name) + ".io.safetensors");
  std::map<std::string, at::Tensor> tensors;
  for (const auto& info : io.tensors()) tensors[info.name] = io.tensor(info.name).clone();
  edit(tensors);
  io::SafetensorsWriter writer;
  for (const auto& [tensor_name, tensor] : tensors) writer.add(tensor_name, tensor);
  writer.write(prefix + ".io.safetensors");
  return prefix;
}

TEST(ModelVerify, GoldenCasesVerify) {
  for (const char* name : {"wan21_t2v_tiny", "wan22_ti2v_tiny", "wan21_vae_tiny", "wan22_vae_tiny",
                           "umt5_tiny", "clip_vit_tiny"}) {
    const auto result = run_command(kBinary + " model verify " + shell_quote(golden(name)));
    EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
    EXPECT_NE(result.output.find("verified: every output within tolerance"), std::string::npos)
        << result.output;
  }
}

TEST(ModelVerify, AWrongExpectedOutputFails) {
  testing::ScratchDir dir("verify");
  const std::string prefix = copy_case(dir, "wan21_t2v_tiny", [](auto& tensors) {
    tensors["out"].view(-1)[17] += 0.01f;  // one element off by 1e-2: above 1e-4 relative
  });
  const auto result = run_command(kBinary + " model verify " + shell_quote(prefix));
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.output;
  EXPECT_NE(result.output.find("FAILED"), std::string::npos) << result.output;
}

// bf16 runs everywhere (the GPU's render dtype, on the CPU here) against its own stated bar; the
// same perturbed output that fails fp32 by 1e-2 passes bf16's 5e-2 and fails an explicit bar.
TEST(ModelVerify, DtypeAndToleranceOptions) {
  auto result = run_command(kBinary + " model verify " + shell_quote(golden("wan21_t2v_tiny")) +
                            " --dtype bf16");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("cpu BFloat16, tolerance 0.05"), std::string::npos) << result.output;

  result = run_command(kBinary + " model verify " + shell_quote(golden("wan21_t2v_tiny")) +
                       " --dtype bf16 --tolerance 1e-4");
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.output;

  result = run_command(kBinary + " model verify " + shell_quote(golden("wan21_vae_tiny")) +
                       " --dtype production");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("cpu Float, tolerance 0.0001"), std::string::npos) << result.output;

  result = run_command(kBinary + " model verify " + shell_quote(golden("wan21_t2v_tiny")) +
                       " --dtype int8");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("use fp32, bf16, fp16 or production"), std::string::npos)
      << result.output;
  result = run_command(kBinary + " model verify " + shell_quote(golden("wan21_t2v_tiny")) +
                       " --device tpu");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("use cpu, cuda or cuda:N"), std::string::npos) << result.output;
}

TEST(ModelVerify, UnknownModuleAndMissingFilesAreClearErrors) {
  testing::ScratchDir dir("verify");
  const std::string prefix = copy_case(dir, "wan21_t2v_tiny", [](auto&) {});
  std::ofstream(prefix + ".json") << R"({"module": "wan_unet"})";
  auto result = run_command(kBinary + " model verify " + shell_quote(prefix));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("names module 'wan_unet'"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("known: "), std::string::npos) << result.output;

  result = run_command(kBinary + " model verify " + shell_quote(dir.file("nothing")));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("nothing.json' is missing"), std::string::npos) << result.output;
}

TEST(ModelVerify, SplitOverRanksWithALayout) {
  const auto result = run_command("mpirun --oversubscribe -np 2 " + kBinary + " model verify " +
                                  shell_quote(golden("wan21_t2v_tiny")) + " --layout tp=2");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("layout cfg=1,tp=2,ulysses=1,ring=1 on 2 ranks"), std::string::npos)
      << result.output;
  const auto bad = run_command("mpirun --oversubscribe -np 2 " + kBinary + " model verify " +
                               shell_quote(golden("wan21_t2v_tiny")) + " --layout ulysses=3");
  EXPECT_NE(bad.exit_code, kExitSuccess) << bad.output;
  EXPECT_NE(bad.output.find("not divisible by ulysses 3"), std::string::npos) << bad.output;
}

TEST(ModelInspect, RecognisesDiffusersNamesAndReportsMissingTensors) {
  testing::ScratchDir dir("inspect");
  const auto weights = io::SafetensorsCheckpoint::open(golden("wan21_t2v_tiny.safetensors"));
  io::SafetensorsWriter diffusers, incomplete;
  for (const auto& info : weights.tensors()) {
    diffusers.add(model::from_native_name(info.name, model::CheckpointLayout::kDiffusers),
                  weights.tensor(info.name));
    if (info.name != "blocks.1.ffn.2.weight") incomplete.add(info.name, weights.tensor(info.name));
  }
  diffusers.write(dir.file("diffusers.safetensors"));
  incomplete.write(dir.file("incomplete.safetensors"));

  auto result = run_command(kBinary + " model inspect " + dir.file("diffusers.safetensors"));
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("wan_dit (diffusers names)"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("preset      tiny-t2v"), std::string::npos) << result.output;

  result = run_command(kBinary + " model inspect " + dir.file("incomplete.safetensors"));
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.output;
  EXPECT_NE(result.output.find("missing blocks.1.ffn.2.weight [128, 256]"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace motionfarm
