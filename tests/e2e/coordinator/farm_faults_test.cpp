// `motionfarm run` against faults (issue #12), one process, tiny demo-model jobs:
//   - NaN in the weights (the DiT's output head, or the VAE decoder's last convolution): every
//     attempt fails naming where the values went bad ("sampling step 1 of 3", "VAE decode of
//     segment 0"), the ledger keeps that error with type non-finite, and no deliverable exists;
//   - deliverable paths that leave the output root ("..", an absolute template, a folder that is
//     a symlink to elsewhere) are refused before anything runs, and nothing is written outside;
//   - a full disk (RLIMIT_FSIZE, tests/support/file_size_limit.h): the run fails saying so and
//     naming the file, the clips finished before are intact, no truncated clip is delivered, and
//     the same command completes the job once there is room.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>

#include "core/exit_codes.h"
#include "io/safetensors_file.h"
#include "io/safetensors_writer.h"
#include "rank/demo_model.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = MOTIONFARM_BINARY;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces the first `from` in the job's manifest with `to`.
void edit_manifest(const TinyJob& job, const std::string& from, const std::string& to) {
  std::string yaml = read_text(job.manifest);
  const size_t at = yaml.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << yaml;
  yaml.replace(at, from.size(), to);
  std::ofstream(job.manifest) << yaml;
}

// `text` inside an SQL string literal.
std::string sql_escaped(std::string text) {
  for (size_t at = text.find('\''); at != std::string::npos; at = text.find('\'', at + 2)) {
    text.insert(at, 1, '\'');
  }
  return text;
}

// Every regular file under `folder`, recursively (relative paths).
std::vector<std::string> files_under(const std::string& folder) {
  std::vector<std::string> files;
  if (!fs::exists(folder)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), folder).string());
  }
  return files;
}

// A copy of the demo model's release folder in `folder`, with every element of `tensor` (a
// native checkpoint name) set to NaN in whichever file holds it.
std::string poisoned_demo_model(const std::string& folder, const std::string& tensor) {
  setenv("MOTIONFARM_DEMO_CACHE", MOTIONFARM_TEST_DEMO_CACHE, 1);
  const rank::DemoModel demo = rank::ensure_demo_model();
  fs::copy(demo.folder, folder, fs::copy_options::recursive);
  bool poisoned = false;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().extension() != ".safetensors") continue;
    io::SafetensorsWriter writer;
    {
      const io::SafetensorsFile file = io::SafetensorsFile::open(entry.path().string());
      if (!file.contains(tensor)) continue;
      for (const io::SafetensorsTensorInfo& info : file.tensors()) {
        at::Tensor value = file.tensor(info.name).clone();
        if (info.name == tensor) value.fill_(std::numeric_limits<float>::quiet_NaN());
        writer.add(info.name, value);
      }
      for (const auto& [key, text] : file.metadata()) writer.set_metadata(key, text);
    }
    writer.write(entry.path().string());
    poisoned = true;
  }
  EXPECT_TRUE(poisoned) << "no file of the demo model holds " << tensor;
  return folder;
}

struct NanCase {
  std::string tensor;     // poisoned with NaN
  std::string step_text;  // what the error must say about where it appeared
};

void PrintTo(const NanCase& nan_case, std::ostream* out) { *out << nan_case.tensor; }

class FarmNan : public ::testing::TestWithParam<NanCase> {};

TEST_P(FarmNan, NanWeightsFailTheAssetNamingTheStepAndDeliverNothing) {
  ScratchDir dir("farm-nan");
  const TinyJob job = write_tiny_job(dir.path(), {{"poisoned", 5}});
  const std::string model = poisoned_demo_model(dir.file("model"), GetParam().tensor);
  edit_manifest(job, "weights: random", "weights: " + model);
  const CommandResult result = run_job(job);
  EXPECT_EQ(result.exit_code, kExitAssetsFailed) << result.output;
  EXPECT_NE(result.output.find(GetParam().step_text), std::string::npos) << result.output;
  // Every attempt (3 by default) failed the same way, and the ledger says where.
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE outcome = 'failed' AND error_type "
                           "= 'non-finite' AND error LIKE '%" +
                               sql_escaped(GetParam().step_text) + "%'"),
            3);
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM assets WHERE asset_id = 'poisoned' AND state = "
                           "'failed'"),
            1);
  EXPECT_TRUE(files_under(job.output_root + "/poisoned").empty())
      << "a clip (or its temporary) of non-finite frames was left in the output root";
}

INSTANTIATE_TEST_SUITE_P(PoisonedWeights, FarmNan,
                         ::testing::Values(NanCase{"head.head.weight", "sampling step 1 of 3"},
                                           NanCase{"decoder.head.2.weight",
                                                   "VAE decode of segment 0 of 'poisoned'"}),
                         [](const ::testing::TestParamInfo<NanCase>& info) {
                           return info.param.tensor[0] == 'h' ? std::string("DitOutputHead")
                                                              : std::string("VaeDecoder");
                         });

TEST(FarmOutputPaths, PathsLeavingTheOutputRootAreRefusedBeforeAnythingRuns) {
  ScratchDir dir("farm-paths");
  ScratchDir outside("farm-paths-outside");
  struct Case {
    std::string naming;  // "" keeps the default; the case then links out/escape to `outside`
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"../{asset}", "must not contain '..'"},
      {outside.path() + "/{asset}", "must be relative to output.root"},
      {"", "is a symlink to"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].expected);
    const TinyJob job = write_tiny_job(dir.path() + "/" + std::to_string(i), {{"escape", 5}});
    if (cases[i].naming.empty()) {
      fs::create_directories(job.output_root);
      fs::create_directory_symlink(outside.path(), job.output_root + "/escape");
    } else {
      edit_manifest(job, "output: {root: out}",
                    "output: {root: out, naming: \"" + cases[i].naming + "\"}");
    }
    const CommandResult result = run_job(job);
    EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
    EXPECT_NE(result.output.find(cases[i].expected), std::string::npos) << result.output;
    EXPECT_FALSE(fs::exists(job.state + "/ledger.sqlite")) << "the run started";
  }
  EXPECT_TRUE(files_under(outside.path()).empty()) << "something was written outside the root";
  EXPECT_FALSE(fs::exists(dir.path() + "/escape")) << "'..' was written";
}

// A run under a file-size limit (tests/support/file_size_limit.h), as if the disk had `bytes`
// left for each file. PMIx's shared-memory store, which a singleton MPI start-up creates, would
// need more, so it keeps its data in memory for this run (PMIX_MCA_gds=hash).
CommandResult run_job_on_a_full_disk(const TinyJob& job, uint64_t bytes) {
  const FileSizeLimit full(bytes);
  return run_command("PMIX_MCA_gds=hash " + farm_environment() + kBinary + " run " +
                     shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) +
                     " 2>&1");
}

// One 5-frame asset rendered while there is room, then `second` (a manifest line) added.
TinyJob job_with_a_finished_clip(const std::string& folder, const std::string& second,
                                 std::string& finished_clip) {
  TinyJob job = write_tiny_job(folder, {{"first", 5}});
  const CommandResult first = run_job(job);
  EXPECT_EQ(first.exit_code, kExitSuccess) << first.output;
  for (const auto& entry : fs::directory_iterator(job.output_root + "/first")) {
    finished_clip = entry.path().string();
  }
  std::ofstream(job.manifest, std::ios::app) << "  - " << second << "\n";
  return job;
}

TEST(FarmDiskFull, AClipThatDoesNotFitFailsItsAssetKeepsFinishedClipsAndTheRerunCompletes) {
  ScratchDir dir("farm-full-clip");
  std::string finished_clip;
  // The second asset's 17-frame 256x256 ProRes clip (~830 KiB) cannot fit in the ~700 KiB left
  // for a file, though its latents (~520 KiB) and the ledger do.
  const TinyJob job = job_with_a_finished_clip(
      dir.path(),
      "{id: second, image: girl.png, prompt: x, frames: 17, resolution: 256x256, formats: "
      "[prores]}",
      finished_clip);
  ASSERT_FALSE(finished_clip.empty());
  const std::string finished_bytes = read_text(finished_clip);
  edit_manifest(job, "output: {root: out}", "output: {root: out}\nresources: {max_attempts: 2}");

  const CommandResult full = run_job_on_a_full_disk(job, 700 * 1024);
  EXPECT_EQ(full.exit_code, kExitAssetsFailed) << full.output;
  EXPECT_NE(full.output.find("failed second: second/assembly failed 2 times; last error: cannot "
                             "write " +
                             job.output_root + "/second/"),
            std::string::npos)
      << full.output;
  EXPECT_NE(full.output.find("the disk is full"), std::string::npos) << full.output;
  EXPECT_EQ(ledger_integer(job.state,
                           "SELECT COUNT(*) FROM attempts WHERE task = 'second/assembly' AND "
                           "error_type = 'disk-full'"),
            2);
  EXPECT_TRUE(files_under(job.output_root + "/second").empty())
      << "a clip that did not fit (or its temporary) is in the output root";
  EXPECT_EQ(read_text(finished_clip), finished_bytes) << "the finished clip was changed";

  // Space freed: the same command finishes the job, reusing the rendered segments.
  const CommandResult rerun = run_job(job);
  ASSERT_EQ(rerun.exit_code, kExitSuccess) << rerun.output;
  EXPECT_NE(rerun.output.find("2 of 2 assets done, 0 failed (1 tasks"), std::string::npos)
      << rerun.output;
  EXPECT_EQ(files_under(job.output_root + "/second").size(), 1u);
  EXPECT_EQ(read_text(finished_clip), finished_bytes);
}

TEST(FarmDiskFull, ALedgerThatCannotGrowEndsTheRunWithSeventyThreeAndTheRerunCompletes) {
  ScratchDir dir("farm-full-ledger");
  std::string finished_clip;
  const TinyJob job = job_with_a_finished_clip(
      dir.path(), "{id: second, image: girl.png, prompt: x, frames: 9}", finished_clip);
  ASSERT_FALSE(finished_clip.empty());
  const std::string finished_bytes = read_text(finished_clip);
  // The ledger holds ~56 KiB; its write-ahead log, growing with every step, reaches 96 KiB first.
  const CommandResult full = run_job_on_a_full_disk(job, 96 * 1024);
  EXPECT_EQ(full.exit_code, kExitDiskFull) << full.output;
  EXPECT_NE(full.output.find("job ledger " + job.state + "/ledger.sqlite: "), std::string::npos)
      << full.output;
  EXPECT_NE(full.output.find("the disk is full"), std::string::npos) << full.output;
  EXPECT_TRUE(files_under(job.output_root + "/second").empty());
  EXPECT_EQ(read_text(finished_clip), finished_bytes);
  EXPECT_EQ(ledger_integer(job.state, "SELECT COUNT(*) FROM assets WHERE state = 'done'"), 1);

  const CommandResult rerun = run_job(job);
  ASSERT_EQ(rerun.exit_code, kExitSuccess) << rerun.output;
  EXPECT_NE(rerun.output.find("2 of 2 assets done, 0 failed"), std::string::npos) << rerun.output;
  EXPECT_EQ(files_under(job.output_root + "/second").size(), 1u);
}

}  // namespace
}  // namespace motionfarm::testing
