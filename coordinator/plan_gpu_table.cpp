#include "coordinator/plan_gpu_table.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "core/check.h"
#include "core/config_paths.h"
#include "core/error.h"

namespace motionfarm::coordinator {

namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

double positive_number(const YAML::Node& node, const std::string& key, const std::string& where) {
  const YAML::Node value = node[key];
  if (!value) throw ConfigError(where + ": missing key `" + key + "`");
  double number = 0.0;
  try {
    number = value.as<double>();
  } catch (const YAML::Exception&) {
    throw ConfigError(where + ": `" + key + "` must be a number");
  }
  if (!(number > 0.0)) throw ConfigError(where + ": `" + key + "` must be positive");
  return number;
}

}  // namespace

const GpuSpec& GpuTable::at(const std::string& name) const {
  const auto found = gpus.find(upper(name));
  if (found != gpus.end()) return found->second;
  std::string known;
  for (const auto& entry : gpus) known += (known.empty() ? "" : ", ") + entry.first;
  throw ConfigError("unknown GPU kind `" + name + "`; the GPU table knows: " + known);
}

GpuTable load_gpu_table(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw ConfigError(path + ": cannot read the GPU table: " + error.what());
  }
  GpuTable table;
  table.infiniband_gb_s = positive_number(root, "infiniband_gb_s", path);
  const YAML::Node gpus = root["gpus"];
  MF_CHECK(gpus && gpus.IsMap() && gpus.size() > 0, ConfigError,
           path << ": `gpus` must map GPU kinds to their numbers");
  for (const auto& entry : gpus) {
    GpuSpec spec;
    spec.name = upper(entry.first.as<std::string>());
    const std::string where = path + ": gpus." + spec.name;
    spec.bf16_tflops = positive_number(entry.second, "bf16_tflops", where);
    spec.efficiency = positive_number(entry.second, "efficiency", where);
    MF_CHECK_LE(spec.efficiency, 1.0, ConfigError, where << ": efficiency is a fraction of peak");
    spec.memory_gib = positive_number(entry.second, "memory_gib", where);
    spec.nvlink_gb_s = positive_number(entry.second, "nvlink_gb_s", where);
    table.gpus[spec.name] = spec;
  }
  return table;
}

GpuTable load_default_gpu_table() { return load_gpu_table(core::find_config_file("gpus.yaml")); }

}  // namespace motionfarm::coordinator
