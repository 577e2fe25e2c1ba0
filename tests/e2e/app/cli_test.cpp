// The motionfarm executable's command-line contract: help, version, errors and exit codes.
#include <gtest/gtest.h>

#include "core/exit_codes.h"
#include "tests/support/run_command.h"

namespace motionfarm {
namespace {

using testing::run_command;

const std::string kBinary = MOTIONFARM_BINARY;

TEST(Cli, HelpListsEverySubcommand) {
  const auto result = run_command(kBinary + " --help");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  for (const char* name : {"run", "render", "validate", "status", "plan", "submit", "report",
                           "version", "model", "inspect-checkpoint"}) {
    EXPECT_NE(result.output.find(std::string("  ") + name + " "), std::string::npos)
        << name << " missing from:\n"
        << result.output;
  }
}

TEST(Cli, NoArgumentsIsAUsageError) {
  const auto result = run_command(kBinary);
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  EXPECT_NE(result.output.find("usage: motionfarm"), std::string::npos) << result.output;
}

TEST(Cli, VersionReportsTorchMpiAndGpuStack) {
  const auto result = run_command(kBinary + " version");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("(commit "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("LibTorch   1."), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("MPI        Open MPI"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("CUDA       "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("NCCL       "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("GPUs       "), std::string::npos) << result.output;
}

TEST(Cli, UnknownSubcommandNamesTheValidOnes) {
  const auto result = run_command(kBinary + " rnder job.yaml");
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  EXPECT_NE(result.output.find("unknown subcommand 'rnder'"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("run, render, validate"), std::string::npos) << result.output;
}

TEST(Cli, UnknownOptionNamesTheValidOnes) {
  const auto result = run_command(kBinary + " version --verbose");
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  EXPECT_NE(result.output.find("--verbose"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("valid options: --help"), std::string::npos) << result.output;
}

TEST(Cli, SubcommandHelpExitsZero) {
  const auto result = run_command(kBinary + " version --help");
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("--help"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace motionfarm
