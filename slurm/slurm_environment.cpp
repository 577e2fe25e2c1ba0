#include "slurm/slurm_environment.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "core/check.h"

extern char** environ;

namespace motionfarm::slurm {

namespace {

std::optional<int> read_int(const Environment& env, const std::string& name) {
  const auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const long value = text.empty() ? -1 : std::strtol(text.c_str(), &end, 10);
  MF_CHECK(!text.empty() && *end == '\0' && errno == 0 && value >= 0 && value <= INT_MAX,
           ConfigError,
           name << "='" << text
                << "' is not a non-negative number: this process's Slurm environment is broken "
                   "(unset it to run outside Slurm)");
  return static_cast<int>(value);
}

std::string read_text(const Environment& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

std::string trim(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::vector<std::string> parse_cuda_visible_devices(const std::string& value) {
  std::vector<std::string> devices;
  // Slurm writes NoDevFiles when a job asked for GPUs the node has no device files for.
  if (trim(value).empty() || trim(value) == "NoDevFiles") return devices;
  std::stringstream list(value);
  for (std::string entry; std::getline(list, entry, ',');) {
    entry = trim(entry);
    if (!entry.empty()) devices.push_back(entry);
  }
  return devices;
}

SlurmEnvironment read_slurm_environment(const Environment& env) {
  SlurmEnvironment slurm;
  slurm.job_id = read_text(env, "SLURM_JOB_ID");
  slurm.proc_id = read_int(env, "SLURM_PROCID");
  slurm.local_id = read_int(env, "SLURM_LOCALID");
  slurm.ntasks = read_int(env, "SLURM_NTASKS");
  slurm.nnodes = read_int(env, "SLURM_NNODES");
  slurm.restart_count = read_int(env, "SLURM_RESTART_COUNT").value_or(0);
  slurm.node_list = read_text(env, "SLURM_JOB_NODELIST");
  if (env.count("CUDA_VISIBLE_DEVICES")) {
    slurm.cuda_visible_devices = parse_cuda_visible_devices(env.at("CUDA_VISIBLE_DEVICES"));
  }
  return slurm;
}

std::string SlurmEnvironment::describe() const {
  if (!in_job()) return "not in a Slurm job";
  std::ostringstream text;
  text << "slurm job " << job_id << " (restart " << restart_count << ")";
  if (!node_list.empty()) text << " on " << node_list;
  if (nnodes) text << ", " << *nnodes << (*nnodes == 1 ? " node" : " nodes");
  if (ntasks) text << ", " << *ntasks << (*ntasks == 1 ? " task" : " tasks");
  return text.str();
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return env;
}

}  // namespace motionfarm::slurm
