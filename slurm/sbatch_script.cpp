#include "slurm/sbatch_script.h"

#include <cctype>
#include <map>
#include <sstream>

#include "core/check.h"

namespace motionfarm::slurm {

namespace {

constexpr long kMinRunBeforeNotice = 35;  // the 30 s timer, and a few seconds to start the ranks

// Job names go into an #SBATCH line and squeue's columns: keep them to one plain word.
std::string safe_job_name(const std::string& name) {
  std::string safe;
  for (const char c : name) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    safe += plain ? c : '_';
  }
  return safe.empty() ? "motionfarm" : safe;
}

// sbatch reads #SBATCH values up to the first blank, and --output treats % as a pattern.
void check_directive_value(const std::string& what, const std::string& value) {
  for (const char c : value) {
    MF_CHECK(!std::isspace(static_cast<unsigned char>(c)) && c != '%' && c != '"' && c != '\'',
             ConfigError,
             what << " '" << value
                  << "' cannot go into an #SBATCH line: leave out blanks, quotes and %");
  }
}

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.push_back("");
  return parts;
}

std::string gpu_directives(const SbatchOptions& o) {
  if (o.gpus_per_node == 0) return "";
  if (o.gpu_request == GpuRequest::kPerTask) return "#SBATCH --gpus-per-task=1";
  return "#SBATCH --gpus-per-node=" + std::to_string(o.gpus_per_node);
}

std::string extra_directives(const SbatchOptions& o) {
  std::vector<std::string> lines;
  if (!o.partition.empty()) lines.push_back("--partition=" + o.partition);
  if (!o.time_limit.empty()) lines.push_back("--time=" + o.time_limit);
  if (!o.account.empty()) lines.push_back("--account=" + o.account);
  if (!o.qos.empty()) lines.push_back("--qos=" + o.qos);
  for (const std::string& extra : o.extra_directives) lines.push_back(extra);
  std::string text;
  for (const std::string& line : lines) text += (text.empty() ? "" : "\n") + ("#SBATCH " + line);
  return text;
}

std::string run_arguments(const SbatchOptions& o) {
  std::string words;
  for (const std::string& argument : o.run_arguments) {
    words += (words.empty() ? "" : " ") + shell_word(argument);
  }
  return words;
}

}  // namespace

std::string shell_word(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string slurm_dir(const std::string& state_dir) { return state_dir + "/slurm"; }

long time_limit_seconds(const std::string& time_limit) {
  if (time_limit == "UNLIMITED" || time_limit == "INFINITE" || time_limit == "unlimited" ||
      time_limit == "infinite") {
    return -1;
  }
  const std::string why =
      "--time '" + time_limit +
      "' is not a Slurm time limit: use minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S";
  long days = 0;
  std::string clock = time_limit;
  const size_t dash = time_limit.find('-');
  const bool has_days = dash != std::string::npos;
  if (has_days) {
    const std::string day_text = time_limit.substr(0, dash);
    MF_CHECK(all_digits(day_text), ConfigError, why);
    days = std::stol(day_text);
    clock = time_limit.substr(dash + 1);
  }
  const std::vector<std::string> parts = split(clock, ':');
  MF_CHECK(!parts.empty() && parts.size() <= 3, ConfigError, why);
  std::vector<long> values;
  for (const std::string& part : parts) {
    MF_CHECK(all_digits(part) && part.size() <= 6, ConfigError, why);
    values.push_back(std::stol(part));
  }
  long seconds = 0;
  if (has_days) {
    // D-H, D-H:M, D-H:M:S
    const long scale[] = {3600, 60, 1};
    for (size_t i = 0; i < values.size(); ++i) seconds += values[i] * scale[i];
  } else if (values.size() == 1) {
    seconds = values[0] * 60;  // minutes
  } else if (values.size() == 2) {
    seconds = values[0] * 60 + values[1];  // M:S
  } else {
    seconds = values[0] * 3600 + values[1] * 60 + values[2];  // H:M:S
  }
  return days * 86400 + seconds;
}

int SbatchOptions::effective_tasks_per_node() const {
  return tasks_per_node > 0 ? tasks_per_node : gpus_per_node;
}

void SbatchOptions::validate() const {
  MF_CHECK_GE(nodes, 1, ConfigError, "--nodes must be at least 1");
  MF_CHECK_GE(gpus_per_node, 0, ConfigError, "--gpus-per-node cannot be negative");
  MF_CHECK_GE(tasks_per_node, 0, ConfigError, "--tasks-per-node cannot be negative");
  MF_CHECK(gpus_per_node > 0 || tasks_per_node > 0, ConfigError,
           "--gpus-per-node 0 asks for no GPUs: say how many CPU ranks with --tasks-per-node");
  MF_CHECK(gpu_request != GpuRequest::kPerTask || gpus_per_node == 0 ||
               effective_tasks_per_node() == gpus_per_node,
           ConfigError,
           "--gpu-binding task gives each rank one GPU, so --tasks-per-node must equal "
           "--gpus-per-node (or use --gpu-binding node to share the node's GPUs)");
  MF_CHECK_GE(cpus_per_task, 1, ConfigError, "--cpus-per-task must be at least 1");
  MF_CHECK(signal_grace_s >= 1 && signal_grace_s <= 65535, ConfigError,
           "--signal-grace " << signal_grace_s << " is outside Slurm's 1..65535 seconds");
  if (!time_limit.empty()) {
    const long limit = time_limit_seconds(time_limit);
    // slurmctld's 30-second timer may send the notice up to 30 s before `grace`; it must not
    // come while the ranks load their libraries (before main, SIGUSR1 would end them).
    MF_CHECK(limit < 0 || limit - signal_grace_s >= kMinRunBeforeNotice, ConfigError,
             "--signal-grace " << signal_grace_s << " s leaves " << limit - signal_grace_s
                               << " s of --time " << time_limit << " (" << limit
                               << " s); Slurm may send the notice up to 30 s early, so leave at "
                                  "least "
                               << kMinRunBeforeNotice << " s");
  }
  MF_CHECK(mpi == "pmix" || mpi == "pmi2" || mpi.rfind("pmix_v", 0) == 0, ConfigError,
           "--mpi '" << mpi << "': use pmix, pmix_vN or pmi2");
  MF_CHECK(!motionfarm.empty() && motionfarm.front() == '/', ConfigError,
           "the motionfarm executable path must be absolute, got '" << motionfarm << "'");
  MF_CHECK(!manifest.empty() && manifest.front() == '/', ConfigError,
           "the manifest path must be absolute, got '" << manifest << "'");
  MF_CHECK(!state_dir.empty() && state_dir.front() == '/', ConfigError,
           "the state folder must be absolute, got '" << state_dir << "'");
  check_directive_value("the state folder", state_dir);
  check_directive_value("--partition", partition);
  check_directive_value("--account", account);
  check_directive_value("--qos", qos);
  for (const std::string& extra : extra_directives) {
    MF_CHECK(extra.rfind("--", 0) == 0 && extra.find('\n') == std::string::npos, ConfigError,
             "--sbatch '" << extra << "': give one sbatch option such as --constraint=a100");
  }
}

std::string render_sbatch_script(const SbatchOptions& options, const std::string& template_text) {
  options.validate();
  const std::map<std::string, std::string> values = {
      {"job_name", safe_job_name(options.job_name)},
      {"nodes", std::to_string(options.nodes)},
      {"tasks_per_node", std::to_string(options.effective_tasks_per_node())},
      {"cpus_per_task", std::to_string(options.cpus_per_task)},
      {"gpu_directives", gpu_directives(options)},
      {"extra_directives", extra_directives(options)},
      {"signal_grace_s", std::to_string(options.signal_grace_s)},
      {"slurm_dir", slurm_dir(options.state_dir)},
      {"mpi", options.mpi},
      {"motionfarm", shell_word(options.motionfarm)},
      {"manifest", shell_word(options.manifest)},
      {"state_dir", shell_word(options.state_dir)},
      {"run_arguments", run_arguments(options)},
  };
  std::istringstream lines(template_text);
  std::string script;
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::string filled;
    bool only_placeholder = false;
    size_t at = 0;
    while (true) {
      const size_t open = line.find("{{", at);
      if (open == std::string::npos) break;
      const size_t close = line.find("}}", open);
      MF_CHECK(close != std::string::npos, ConfigError,
               "sbatch template line " << line_number << ": '{{' without '}}'");
      const std::string name = line.substr(open + 2, close - open - 2);
      const auto value = values.find(name);
      MF_CHECK(value != values.end(), ConfigError,
               "sbatch template line " << line_number << ": unknown placeholder {{" << name
                                       << "}} (slurm/templates/motionfarm.sbatch lists them)");
      only_placeholder = open == 0 && close + 2 == line.size();
      filled += line.substr(at, open - at) + value->second;
      at = close + 2;
    }
    filled += line.substr(at);
    // A line that was one placeholder with nothing to say goes: sbatch stops reading #SBATCH
    // lines at the first command, and blank lines between directives only clutter.
    if (only_placeholder && filled.empty()) continue;
    script += filled + "\n";
  }
  return script;
}

}  // namespace motionfarm::slurm
