#include "model/config_yaml.h"

#include <sstream>

namespace motionfarm::model {

std::string yaml_position(const std::string& source, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  std::ostringstream out;
  out << source;
  if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
  return out.str();
}

YAML::Node load_yaml_config_file(const std::string& path, const std::string& what) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError("cannot read " + what + " config '" + path + "'");
  } catch (const YAML::ParserException& error) {
    throw ConfigError(path + ":" + std::to_string(error.mark.line + 1) + ":" +
                      std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
}

}  // namespace motionfarm::model
