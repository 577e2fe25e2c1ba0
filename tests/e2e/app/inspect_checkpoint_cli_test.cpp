// `motionfarm inspect-checkpoint` end to end: a store written with the io API is printed with its
// meta, segments and state; a damaged segment shows as BAD and the exit code says so; a file that
// is not a checkpoint is refused with exit code 3.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <fstream>
#include <string>

#include "core/exit_codes.h"
#include "io/latent_store.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm {
namespace {

using testing::run_command;
using testing::ScratchDir;
using testing::shell_quote;

const std::string kBinary = MOTIONFARM_BINARY;

io::LatentStoreMeta store_meta() {
  io::LatentStoreMeta meta;
  meta.identity.model_id = "wan2.1-i2v-14b-480p";
  meta.identity.model_config_hash = "cfg-5e1d";
  meta.identity.seed = 42;
  meta.identity.prompt_hash = "prompt-77aa";
  meta.extra = {{"asset_id", "shot-042"}};
  return meta;
}

at::Tensor latent(double offset) {
  return (at::arange(16 * 3 * 8 * 12, at::kFloat) * 0.001 + offset).reshape({16, 3, 8, 12});
}

// Segments 000 (float32) and 001 (bfloat16) complete, 002 in progress at step 5 of 40.
std::string write_store(const ScratchDir& scratch) {
  const std::string path = scratch.file("shot-042.h5");
  io::LatentStore store = io::LatentStore::create(path, store_meta());
  store.write_segment(0, latent(0.0));
  store.write_segment(1, latent(100.0).to(at::kBFloat16));
  io::SamplingState state;
  state.sampler = "unipc";
  state.num_steps = 40;
  state.shift = 3.0;
  state.step_index = 5;
  state.latent = latent(200.0);
  state.model_outputs = {latent(300.0), latent(400.0)};
  state.last_sample = latent(500.0);
  store.write_state(2, state);
  return path;
}

void expect_contains(const std::string& output, const std::string& expected) {
  EXPECT_NE(output.find(expected), std::string::npos) << "'" << expected << "' not in:\n" << output;
}

TEST(InspectCheckpointCli, PrintsMetaSegmentsAndState) {
  ScratchDir scratch("inspect");
  const std::string path = write_store(scratch);
  const auto result = run_command(kBinary + " inspect-checkpoint " + shell_quote(path));
  EXPECT_EQ(result.exit_code, kExitSuccess) << result.output;
  expect_contains(result.output, "format      version 1, written by motionfarm ");
  expect_contains(result.output, "model       wan2.1-i2v-14b-480p (config hash cfg-5e1d)");
  expect_contains(result.output, "seed        42");
  expect_contains(result.output, "prompt hash prompt-77aa");
  expect_contains(result.output, "extra       asset_id = shot-042");
  expect_contains(result.output, "segments    3 (2 complete)");
  expect_contains(result.output, "  000  complete    latents float32 [16, 3, 8, 12]  checksum OK");
  expect_contains(result.output, "  001  complete    latents bfloat16 [16, 3, 8, 12]  checksum OK");
  expect_contains(result.output, "  002  incomplete");
  expect_contains(result.output,
                  "in progress: step 5 of 40, sampler unipc, shift 3, history 2, latent [16, 3, "
                  "8, 12]  checksum OK");
}

TEST(InspectCheckpointCli, DamagedSegmentIsBadAndExitsSix) {
  ScratchDir scratch("inspect");
  const std::string path = write_store(scratch);
  // Flip a byte inside segment 000's data (float32, stored as is).
  const at::Tensor data = latent(0.0);
  const std::string pattern(static_cast<const char*>(data.data_ptr()), 256);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), {});
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  file.seekp(static_cast<std::streamoff>(at + 40));
  file.put(static_cast<char>(bytes[at + 40] ^ 0x40));
  file.close();

  const auto result = run_command(kBinary + " inspect-checkpoint " + shell_quote(path));
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.output;
  expect_contains(result.output, "  000  complete    latents float32 [16, 3, 8, 12]  checksum BAD");
  expect_contains(result.output, "/segments/000/latents: checksum mismatch");
  expect_contains(result.output, "  001  complete    latents bfloat16 [16, 3, 8, 12]  checksum OK");
}

TEST(InspectCheckpointCli, NotACheckpointExitsThree) {
  ScratchDir scratch("inspect");
  const std::string path = scratch.file("notes.h5");
  std::ofstream(path) << "not hdf5\n";
  const auto result = run_command(kBinary + " inspect-checkpoint " + shell_quote(path));
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  expect_contains(result.output, "notes.h5 is not an HDF5 file");
}

TEST(InspectCheckpointCli, MissingArgumentIsAUsageError) {
  const auto result = run_command(kBinary + " inspect-checkpoint");
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  const auto help = run_command(kBinary + " inspect-checkpoint --help");
  EXPECT_EQ(help.exit_code, kExitSuccess) << help.output;
  expect_contains(help.output, "inspect-checkpoint FILE");
}

}  // namespace
}  // namespace motionfarm
