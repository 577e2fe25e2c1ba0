#include "slurm/sbatch_script.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace motionfarm::slurm {
namespace {

SbatchOptions gpu_job() {
  SbatchOptions o;
  o.job_name = "spring campaign";
  o.motionfarm = "/opt/motionfarm/bin/motionfarm";
  o.manifest = "/shots/spring/job's manifest.yaml";  // a blank and a quote: shell-quoted
  o.state_dir = "/shots/spring/spring.motionfarm-state";
  o.nodes = 2;
  o.gpus_per_node = 8;
  o.cpus_per_task = 6;
  o.partition = "gpu";
  o.time_limit = "4:00:00";
  o.signal_grace_s = 240;
  o.run_arguments = {"--layout", "cfg=2"};
  return o;
}

std::string render(const SbatchOptions& o) {
  return render_sbatch_script(o, default_sbatch_template());
}

bool has_line(const std::string& script, const std::string& line) {
  return script.find("\n" + line + "\n") != std::string::npos;
}

// The #SBATCH lines, in order: sbatch reads them only up to the first command.
std::vector<std::string> directives(const std::string& script) {
  std::vector<std::string> lines;
  std::istringstream in(script);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#SBATCH", 0) == 0) lines.push_back(line);
  }
  return lines;
}

TEST(SbatchScript, OneTaskPerGpuWithEveryPreemptionSetting) {
  const std::string script = render(gpu_job());
  for (const char* line :
       {"#SBATCH --job-name=spring_campaign", "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=8",
        "#SBATCH --cpus-per-task=6", "#SBATCH --gpus-per-task=1", "#SBATCH --partition=gpu",
        "#SBATCH --time=4:00:00", "#SBATCH --signal=B:USR1@240", "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        "#SBATCH --output=/shots/spring/spring.motionfarm-state/slurm/slurm-%j.out",
        "#SBATCH --error=/shots/spring/spring.motionfarm-state/slurm/slurm-%j.err",
        "motionfarm='/opt/motionfarm/bin/motionfarm'",
        "manifest='/shots/spring/job'\\''s manifest.yaml'", "run_arguments=('--layout' 'cfg=2')"}) {
    EXPECT_TRUE(has_line(script, line)) << "missing: " << line << "\n" << script;
  }
  EXPECT_NE(script.find("srun --mpi=pmix "), std::string::npos) << script;
  EXPECT_NE(script.find("scontrol requeue \"$SLURM_JOB_ID\""), std::string::npos) << script;
  EXPECT_EQ(script.find("{{"), std::string::npos) << script;
  EXPECT_EQ(script.find("--gpus-per-node"), std::string::npos) << script;
}

TEST(SbatchScript, DirectivesComeBeforeTheFirstCommand) {
  const std::string script = render(gpu_job());
  // Every #SBATCH line sits in the leading block of comments (sbatch ignores later ones).
  std::istringstream in(script);
  bool commands_started = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#SBATCH", 0) == 0) {
      EXPECT_FALSE(commands_started) << "late directive: " << line;
    } else if (!line.empty() && line[0] != '#') {
      commands_started = true;
    }
  }
  EXPECT_EQ(directives(script).size(), 12u) << script;
}

TEST(SbatchScript, GpusPerNodeLetsEveryRankSeeTheNodesGpus) {
  SbatchOptions o = gpu_job();
  o.gpu_request = GpuRequest::kPerNode;
  const std::string script = render(o);
  EXPECT_TRUE(has_line(script, "#SBATCH --gpus-per-node=8")) << script;
  EXPECT_EQ(script.find("--gpus-per-task"), std::string::npos) << script;
  EXPECT_TRUE(has_line(script, "#SBATCH --ntasks-per-node=8")) << script;
}

TEST(SbatchScript, CpuRanksAskForNoGpuAndLeaveNoBlankLines) {
  SbatchOptions o = gpu_job();
  o.gpus_per_node = 0;
  o.tasks_per_node = 2;
  o.partition.clear();
  o.time_limit.clear();
  o.mpi = "pmi2";
  const std::string script = render(o);
  EXPECT_EQ(script.find("--gpus"), std::string::npos) << script;
  EXPECT_EQ(script.find("--partition"), std::string::npos) << script;
  EXPECT_EQ(script.find("--time"), std::string::npos) << script;
  EXPECT_TRUE(has_line(script, "#SBATCH --ntasks-per-node=2")) << script;
  EXPECT_NE(script.find("srun --mpi=pmi2 "), std::string::npos) << script;
  EXPECT_EQ(script.find("#SBATCH --cpus-per-task=6\n\n"), std::string::npos) << script;
}

TEST(SbatchScript, ExtraDirectivesAccountAndQos) {
  SbatchOptions o = gpu_job();
  o.account = "vfx";
  o.qos = "low";
  o.extra_directives = {"--constraint=a100", "--exclusive"};
  const std::string script = render(o);
  for (const char* line : {"#SBATCH --account=vfx", "#SBATCH --qos=low",
                           "#SBATCH --constraint=a100", "#SBATCH --exclusive"}) {
    EXPECT_TRUE(has_line(script, line)) << "missing: " << line << "\n" << script;
  }
}

TEST(SbatchScript, TheScriptIsValidBash) {
  testing::ScratchDir dir("sbatch");
  for (const bool per_node : {false, true}) {
    SbatchOptions o = gpu_job();
    o.gpu_request = per_node ? GpuRequest::kPerNode : GpuRequest::kPerTask;
    std::ofstream(dir.file("job.sbatch")) << render(o);
    const testing::CommandResult check =
        testing::run_command("bash -n " + testing::shell_quote(dir.file("job.sbatch")) + " 2>&1");
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }
}

TEST(SbatchScript, TheTemplateInTheSourceTreeIsTheOneCompiledIn) {
  std::ifstream in(testing::source_dir() + "/slurm/templates/motionfarm.sbatch");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, default_sbatch_template());
}

TEST(SbatchScript, AnEditedTemplateIsFilledToo) {
  const std::string script = render_sbatch_script(
      gpu_job(),
      "#!/bin/bash\n#SBATCH --job-name={{job_name}}\n{{gpu_directives}}\n"
      "#SBATCH --mail-type=END\nsrun --mpi={{mpi}} {{motionfarm}} run {{manifest}}\n");
  EXPECT_EQ(script,
            "#!/bin/bash\n#SBATCH --job-name=spring_campaign\n#SBATCH --gpus-per-task=1\n"
            "#SBATCH --mail-type=END\nsrun --mpi=pmix '/opt/motionfarm/bin/motionfarm' run "
            "'/shots/spring/job'\\''s manifest.yaml'\n");
}

void expect_config_error(const SbatchOptions& o, const std::string& words,
                         const std::string& template_text = "") {
  try {
    render_sbatch_script(o, template_text.empty() ? default_sbatch_template() : template_text);
    FAIL() << "expected a ConfigError saying: " << words;
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find(words), std::string::npos) << error.what();
  }
}

TEST(SbatchScript, BadOptionsAreRefusedWithTheFix) {
  SbatchOptions o = gpu_job();
  o.signal_grace_s = 600;
  o.time_limit = "10";  // 10 minutes
  expect_config_error(o, "--signal-grace 600 s leaves 0 s of --time 10 (600 s)");
  o.signal_grace_s = 25;
  o.time_limit = "0:59";
  expect_config_error(o, "leave at least 35 s");
  o.time_limit = "1";  // 35 s before the notice window opens: the least allowed
  EXPECT_NO_THROW(render(o));

  o = gpu_job();
  o.tasks_per_node = 4;
  expect_config_error(o, "--tasks-per-node must equal --gpus-per-node");
  o.gpu_request = GpuRequest::kPerNode;  // 4 ranks sharing 8 GPUs is allowed per node
  EXPECT_NO_THROW(render(o));

  o = gpu_job();
  o.gpus_per_node = 0;
  expect_config_error(o, "say how many CPU ranks with --tasks-per-node");

  o = gpu_job();
  o.state_dir = "/shots/my job/state";
  expect_config_error(o, "cannot go into an #SBATCH line");

  o = gpu_job();
  o.manifest = "job.yaml";
  expect_config_error(o, "the manifest path must be absolute");

  o = gpu_job();
  o.mpi = "openmpi";
  expect_config_error(o, "use pmix, pmix_vN or pmi2");

  o = gpu_job();
  o.extra_directives = {"constraint=a100"};
  expect_config_error(o, "give one sbatch option");

  expect_config_error(gpu_job(), "line 2: unknown placeholder {{job_nmae}}",
                      "#!/bin/bash\n#SBATCH --job-name={{job_nmae}}\n");
}

TEST(SbatchScript, SlurmTimeLimits) {
  EXPECT_EQ(time_limit_seconds("30"), 30 * 60);
  EXPECT_EQ(time_limit_seconds("5:30"), 5 * 60 + 30);
  EXPECT_EQ(time_limit_seconds("4:00:00"), 4 * 3600);
  EXPECT_EQ(time_limit_seconds("2-12"), 2 * 86400 + 12 * 3600);
  EXPECT_EQ(time_limit_seconds("2-12:30"), 2 * 86400 + 12 * 3600 + 30 * 60);
  EXPECT_EQ(time_limit_seconds("1-0:0:10"), 86400 + 10);
  EXPECT_EQ(time_limit_seconds("UNLIMITED"), -1);
  for (const char* bad : {"", "4h", "1:2:3:4", "-5", "1-", "a-1", "1:x"}) {
    EXPECT_THROW(time_limit_seconds(bad), ConfigError) << bad;
  }
}

TEST(SbatchScript, ShellWordsSurviveAnyCharacter) {
  EXPECT_EQ(shell_word("plain"), "'plain'");
  EXPECT_EQ(shell_word("it's $HOME"), "'it'\\''s $HOME'");
  const testing::CommandResult echo =
      testing::run_command("printf %s " + shell_word("a 'b' $c \"d\""));
  EXPECT_EQ(echo.output, "a 'b' $c \"d\"");
}

}  // namespace
}  // namespace motionfarm::slurm
