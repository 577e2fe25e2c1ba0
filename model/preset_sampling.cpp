#include "model/preset_sampling.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "core/config_paths.h"
#include "core/error.h"
#include "model/config_yaml.h"
#include "model/flow_schedule.h"
#include "model/guidance.h"

namespace motionfarm::model {
namespace {

// Throws ConfigError at the first key of `node` not in `known`.
void reject_unknown_keys(const YAML::Node& node, const std::string& source, const char* what,
                         const std::set<std::string>& known) {
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (known.count(key)) continue;
    std::string list;
    for (const std::string& name : known) list += " " + name;
    throw ConfigError(yaml_position(source, entry.first) + ": unknown " + what + " key '" + key +
                      "'; known keys:" + list);
  }
}

SamplingDefaults read_defaults(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) {
    throw ConfigError(yaml_position(source, node) +
                      ": 'sampling' must be a mapping (steps, shift, guidance)");
  }
  reject_unknown_keys(node, source, "sampling", {"steps", "shift", "guidance"});
  SamplingDefaults defaults;
  if (node["steps"]) defaults.steps = read_yaml_scalar<int64_t>(source, "steps", node["steps"]);
  if (node["shift"]) defaults.shift = read_yaml_scalar<double>(source, "shift", node["shift"]);
  if (node["guidance"]) {
    defaults.guidance = read_yaml_scalar<double>(source, "guidance", node["guidance"]);
  }
  return defaults;
}

ExpertSpec read_expert(const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) {
    throw ConfigError(yaml_position(source, node) +
                      ": an expert must be a mapping (name, folder, boundary, guidance)");
  }
  reject_unknown_keys(node, source, "expert", {"name", "folder", "boundary", "guidance"});
  for (const char* required : {"name", "folder", "boundary"}) {
    if (!node[required]) {
      throw ConfigError(yaml_position(source, node) + ": an expert needs '" + required + "'");
    }
  }
  ExpertSpec expert;
  expert.name = read_yaml_scalar<std::string>(source, "name", node["name"]);
  expert.folder = read_yaml_scalar<std::string>(source, "folder", node["folder"]);
  expert.boundary = read_yaml_scalar<double>(source, "boundary", node["boundary"]);
  if (node["guidance"]) {
    expert.guidance = read_yaml_scalar<double>(source, "guidance", node["guidance"]);
  }
  return expert;
}

}  // namespace

void PresetSampling::validate() const {
  if (defaults.steps || defaults.shift) {
    FlowScheduleConfig schedule;
    schedule.num_steps = defaults.steps.value_or(schedule.num_steps);
    schedule.shift = defaults.shift.value_or(schedule.shift);
    schedule.validate();
  }
  if (defaults.guidance) validate_guidance_scale(*defaults.guidance);
  validate_experts(experts);
}

PresetSampling preset_sampling_from_node(const YAML::Node& preset, const std::string& source) {
  PresetSampling sampling;
  if (!preset.IsMap()) return sampling;
  if (const YAML::Node node = preset["sampling"]) sampling.defaults = read_defaults(node, source);
  if (const YAML::Node node = preset["experts"]) {
    if (!node.IsSequence() || node.size() < 2) {
      throw ConfigError(yaml_position(source, node) +
                        ": 'experts' must be a list of at least two experts, high noise first");
    }
    for (const YAML::Node& expert : node) sampling.experts.push_back(read_expert(expert, source));
  }
  try {
    sampling.validate();
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
  return sampling;
}

PresetSampling load_preset_sampling(const std::string& name) {
  const std::string path = core::find_config_file("models/" + name + ".yaml");
  return preset_sampling_from_node(load_yaml_config_file(path, "model preset"), path);
}

}  // namespace motionfarm::model
