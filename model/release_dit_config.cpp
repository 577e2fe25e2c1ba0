#include "model/release_dit_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "model/config_yaml.h"

namespace motionfarm::model {
namespace {

// How one architecture key is read into a config and compared.
struct Field {
  std::function<void(WanDiTConfig&, const std::string& source, const YAML::Node&)> read;
  std::function<std::string(const WanDiTConfig&)> text;
  std::function<bool(const WanDiTConfig&, const WanDiTConfig&)> same;
};

template <class T>
Field scalar(T WanDiTConfig::*member, const char* key) {
  return {[member, key](WanDiTConfig& config, const std::string& source, const YAML::Node& value) {
            try {
              config.*member = value.as<T>();
            } catch (const YAML::Exception&) {
              throw InputError(yaml_position(source, value) + ": '" + key +
                               "' has a value of the wrong type");
            }
          },
          [member](const WanDiTConfig& config) {
            std::ostringstream out;
            out << std::boolalpha << config.*member;
            return out.str();
          },
          [member](const WanDiTConfig& a, const WanDiTConfig& b) {
            if constexpr (std::is_floating_point_v<T>) {
              return std::abs(a.*member - b.*member) <= 1e-9 * std::abs(b.*member);
            } else {
              return a.*member == b.*member;
            }
          }};
}

std::string patch_text(const WanDiTConfig& config) {
  const auto& p = config.patch_size;
  return "[" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " + std::to_string(p[2]) +
         "]";
}

const std::map<std::string, Field>& fields() {
  static const std::map<std::string, Field> table = {
      {"model_type", scalar(&WanDiTConfig::model_type, "model_type")},
      {"text_len", scalar(&WanDiTConfig::text_len, "text_len")},
      {"in_dim", scalar(&WanDiTConfig::in_dim, "in_dim")},
      {"dim", scalar(&WanDiTConfig::dim, "dim")},
      {"ffn_dim", scalar(&WanDiTConfig::ffn_dim, "ffn_dim")},
      {"freq_dim", scalar(&WanDiTConfig::freq_dim, "freq_dim")},
      {"text_dim", scalar(&WanDiTConfig::text_dim, "text_dim")},
      {"out_dim", scalar(&WanDiTConfig::out_dim, "out_dim")},
      {"num_heads", scalar(&WanDiTConfig::num_heads, "num_heads")},
      {"num_layers", scalar(&WanDiTConfig::num_layers, "num_layers")},
      {"eps", scalar(&WanDiTConfig::eps, "eps")},
      {"qk_norm", scalar(&WanDiTConfig::qk_norm, "qk_norm")},
      {"cross_attn_norm", scalar(&WanDiTConfig::cross_attn_norm, "cross_attn_norm")},
      {"patch_size",
       {[](WanDiTConfig& config, const std::string& source, const YAML::Node& value) {
          if (!value.IsSequence() || value.size() != 3) {
            throw InputError(yaml_position(source, value) +
                             ": 'patch_size' must be a list of three integers");
          }
          for (std::size_t i = 0; i < 3; ++i) config.patch_size[i] = value[i].as<int64_t>();
        },
        patch_text,
        [](const WanDiTConfig& a, const WanDiTConfig& b) { return a.patch_size == b.patch_size; }}},
  };
  return table;
}

}  // namespace

ReleaseDiTConfig read_release_dit_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw InputError("cannot read the DiT config '" + path + "'");
  } catch (const YAML::Exception& error) {
    throw InputError(path + ":" + std::to_string(error.mark.line + 1) + ":" +
                     std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (!root.IsMap()) throw InputError("'" + path + "' is not a JSON object (a DiT config.json)");
  ReleaseDiTConfig release;
  release.path = path;
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (key == "_class_name") {
      release.class_name = entry.second.as<std::string>("");
      continue;
    }
    const auto field = fields().find(key);
    if (field != fields().end()) {
      field->second.read(release.config, path, entry.second);
      release.fields.insert(key);
    } else if (key == "window_size") {
      // Global attention, as every release; a window is a mismatch with any preset.
      const bool global = entry.second.IsSequence() && entry.second.size() == 2 &&
                          entry.second[0].as<int64_t>(0) == -1 &&
                          entry.second[1].as<int64_t>(0) == -1;
      if (!global) {
        throw InputError(yaml_position(path, entry.second) +
                         ": window_size is not [-1, -1]; local attention is not supported");
      }
    } else if (key.rfind('_', 0) != 0) {
      release.ignored.push_back(key);
    }
  }
  return release;
}

std::vector<ConfigMismatch> release_config_mismatches(const ReleaseDiTConfig& file,
                                                      const WanDiTConfig& preset) {
  std::vector<ConfigMismatch> mismatches;
  if (!file.class_name.empty() && file.class_name != "WanModel") return mismatches;
  for (const std::string& key : file.fields) {
    const Field& field = fields().at(key);
    if (!field.same(file.config, preset)) {
      mismatches.push_back({key, field.text(file.config), field.text(preset)});
    }
  }
  return mismatches;
}

void check_release_dit_config(const ReleaseDiTConfig& file, const WanDiTConfig& preset,
                              const std::string& preset_name) {
  const std::vector<ConfigMismatch> mismatches = release_config_mismatches(file, preset);
  if (mismatches.empty()) return;
  const ConfigMismatch& first = mismatches.front();
  std::ostringstream message;
  message << "'" << file.path << "' says " << first.field << " " << first.file_value
          << ", but preset '" << preset_name << "' has " << first.field << " "
          << first.preset_value;
  for (size_t i = 1; i < mismatches.size(); ++i) {
    message << "; " << mismatches[i].field << " " << mismatches[i].file_value << " vs "
            << mismatches[i].preset_value;
  }
  message << ": these weights are another model; pass the preset that matches them "
             "(`motionfarm model inspect FOLDER` names it)";
  throw ModelError(message.str());
}

std::string release_config_path(const std::string& dit_path) {
  const std::filesystem::path path(dit_path);
  const std::filesystem::path folder =
      std::filesystem::is_directory(path) ? path : path.parent_path();
  return (folder / "config.json").string();
}

std::string release_dit_config_json(const WanDiTConfig& config) {
  std::ostringstream eps;
  eps << config.eps;
  std::ostringstream out;
  out << "{\n"
      << "  \"_class_name\": \"WanModel\",\n"
      << "  \"_diffusers_version\": \"0.33.0\",\n"
      << "  \"dim\": " << config.dim << ",\n"
      << "  \"eps\": " << eps.str() << ",\n"
      << "  \"ffn_dim\": " << config.ffn_dim << ",\n"
      << "  \"freq_dim\": " << config.freq_dim << ",\n"
      << "  \"in_dim\": " << config.in_dim << ",\n"
      << "  \"model_type\": \"" << config.model_type << "\",\n"
      << "  \"num_heads\": " << config.num_heads << ",\n"
      << "  \"num_layers\": " << config.num_layers << ",\n"
      << "  \"out_dim\": " << config.out_dim << ",\n"
      << "  \"text_len\": " << config.text_len << "\n"
      << "}\n";
  return out.str();
}

}  // namespace motionfarm::model
