// `motionfarm submit` as a wrangler meets it before any cluster is involved (--dry-run writes the
// script, a bad manifest or option submits nothing), and `motionfarm run` without Slurm: the
// start-up lines say so and the ledger records how the run was launched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "core/exit_codes.h"
#include "tests/e2e/coordinator/farm_job_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = MOTIONFARM_BINARY;

// No Slurm variables reach the command, whatever runs the test.
const std::string kNoSlurm =
    "env -u SLURM_JOB_ID -u SLURM_JOBID -u SLURM_PROCID -u SLURM_LOCALID -u SLURM_NTASKS "
    "-u SLURM_NNODES -u SLURM_RESTART_COUNT -u SLURM_JOB_NODELIST -u SLURM_STEP_ID ";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string host() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// The first column of the first row of `sql` on the job's ledger, as text.
std::string ledger_text(const std::string& state, const std::string& sql) {
  coordinator::SqliteDatabase db(coordinator::JobLedger::path_in(state),
                                 coordinator::SqliteDatabase::Mode::kReadOnly);
  coordinator::SqliteStatement query = db.prepare(sql);
  return query.step() ? query.column_text(0) : "";
}

CommandResult submit(const TinyJob& job, const std::string& options) {
  return run_command(kBinary + " submit " + shell_quote(job.manifest) + " --state-dir " +
                     shell_quote(job.state) + " " + options + " 2>&1");
}

TEST(SlurmCli, DryRunWritesTheScriptIntoTheStateFolder) {
  ScratchDir dir("submit");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}}, 3, "spring-campaign");
  const CommandResult result =
      submit(job,
             "--nodes 2 --gpus-per-node 4 --partition gpu --time 2:00:00 --mpi pmi2 --dry-run "
             "--layout auto");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  const std::string script_path = job.state + "/slurm/job.sbatch";
  ASSERT_TRUE(fs::exists(script_path)) << result.output;
  const std::string script = read_file(script_path);
  EXPECT_NE(result.output.find(script), std::string::npos) << "the dry run prints the script";
  EXPECT_NE(result.output.find("8 ranks on 2 nodes, srun --mpi=pmi2"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("not submitted (--dry-run)"), std::string::npos) << result.output;
  for (const std::string& line : std::vector<std::string>{
           "#SBATCH --job-name=spring-campaign", "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4",
           "#SBATCH --gpus-per-task=1", "#SBATCH --partition=gpu", "#SBATCH --time=2:00:00",
           "#SBATCH --signal=B:USR1@300", "#SBATCH --output=" + job.state + "/slurm/slurm-%j.out",
           "motionfarm=" + shell_quote(fs::canonical(kBinary).string()),
           "manifest=" + shell_quote(job.manifest), "state_dir=" + shell_quote(job.state),
           "run_arguments=('--layout' 'auto')"}) {
    EXPECT_NE(script.find("\n" + line + "\n"), std::string::npos) << "missing: " << line << "\n"
                                                                  << script;
  }
  EXPECT_NE(script.find("srun --mpi=pmi2 "), std::string::npos) << script;
  EXPECT_TRUE((fs::status(script_path).permissions() & fs::perms::owner_exec) != fs::perms::none);
}

TEST(SlurmCli, WithoutSrunADryRunAssumesPmix) {
  ScratchDir dir("submit");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}});
  // A PATH with a shell but no Slurm client.
  fs::create_directories(dir.file("bin"));
  fs::create_symlink("/bin/sh", dir.file("bin/sh"));
  const CommandResult result =
      run_command("PATH=" + shell_quote(dir.file("bin")) + " " + kBinary + " submit " +
                  shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) +
                  " --nodes 1 --gpus-per-node 1 --dry-run 2>&1");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("srun not found here; the script assumes --mpi=pmix"),
            std::string::npos)
      << result.output;
  EXPECT_NE(read_file(job.state + "/slurm/job.sbatch").find("srun --mpi=pmix "), std::string::npos);

  // Not a dry run: without sbatch nothing can be submitted, and the message says why.
  const CommandResult refused =
      run_command("PATH=" + shell_quote(dir.file("bin")) + " " + kBinary + " submit " +
                  shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) +
                  " --nodes 1 --gpus-per-node 1 --mpi pmix 2>&1");
  EXPECT_EQ(refused.exit_code, kExitBadInput) << refused.output;
  EXPECT_NE(refused.output.find("sbatch refused the job"), std::string::npos) << refused.output;
}

TEST(SlurmCli, ABadManifestSubmitsNothing) {
  ScratchDir dir("submit");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}});
  std::ofstream(job.manifest, std::ios::app) << "  - {id: two, image: missing.png, prompt: x}\n";
  const CommandResult result = submit(job, "--nodes 1 --gpus-per-node 1 --mpi pmix --dry-run");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("missing.png"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("nothing was submitted"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(job.state + "/slurm/job.sbatch"));
}

TEST(SlurmCli, BadOptionsAreRefusedWithTheFix) {
  ScratchDir dir("submit");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}});
  CommandResult result =
      submit(job, "--nodes 1 --gpus-per-node 1 --time 10 --signal-grace 600 --mpi pmix --dry-run");
  EXPECT_EQ(result.exit_code, kExitBadInput) << result.output;
  EXPECT_NE(result.output.find("--signal-grace 600 s leaves 0 s of --time 10"), std::string::npos)
      << result.output;
  result = submit(job, "--nodes 1 --gpus-per-node 1 --gpu-binding socket --dry-run");
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  EXPECT_NE(result.output.find("use task or node"), std::string::npos) << result.output;
  result = submit(job, "--nodes 1 --dry-run");
  EXPECT_EQ(result.exit_code, kExitUsage) << result.output;
  EXPECT_NE(result.output.find("gpus-per-node"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(job.state + "/slurm/job.sbatch"));
}

TEST(SlurmCli, RunWithoutSlurmSaysSoAndRecordsIt) {
  ScratchDir dir("launch");
  const TinyJob job = write_tiny_job(dir.path(), {{"one", 5}, {"two", 5}});
  const CommandResult result = run_command(
      kNoSlurm + farm_environment() + "mpirun -np 2 --oversubscribe " + kBinary + " run " +
      shell_quote(job.manifest) + " --state-dir " + shell_quote(job.state) + " 2>&1");
  ASSERT_EQ(result.exit_code, kExitSuccess) << result.output;
  EXPECT_NE(result.output.find("launch: not in a Slurm job; 2 MPI ranks"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("launch: node " + host() + ": 2 ranks (0-1), GPUs none ("),
            std::string::npos)
      << result.output;
  EXPECT_EQ(ledger_text(job.state, "SELECT value FROM job WHERE key = 'run.1.launch'"),
            "not in a Slurm job; 2 MPI ranks");
}

}  // namespace
}  // namespace motionfarm::testing
