#include "coordinator/manifest_naming.h"

#include <ctime>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "coordinator/did_you_mean.h"
#include "core/check.h"
#include "io/output_format.h"
#include "io/output_path.h"

namespace motionfarm::coordinator {
namespace fs = std::filesystem;

const std::vector<std::string>& naming_fields() {
  static const std::vector<std::string> fields = {"job",  "asset",  "seed", "segment",
                                                  "date", "format", "index"};
  return fields;
}

namespace {

bool is_field(const std::string& name) {
  for (const std::string& field : naming_fields()) {
    if (field == name) return true;
  }
  return false;
}

std::string padded(int64_t value, int width) {
  std::ostringstream out;
  out << std::setw(width) << std::setfill('0') << value;
  return out.str();
}

}  // namespace

std::vector<NamingProblem> naming_template_problems(const std::string& naming) {
  std::vector<NamingProblem> problems;
  if (naming.empty()) {
    problems.push_back({0, "output.naming is empty: use e.g. \"{asset}/{asset}_{seed}\""});
    return problems;
  }
  if (naming[0] == '/') {
    problems.push_back({0,
                        "output.naming must be relative to output.root, not an absolute path: "
                        "remove the leading '/'"});
  }
  for (size_t i = 0; i < naming.size(); ++i) {
    if (naming[i] == '}') {
      problems.push_back({i, "'}' without a matching '{' in output.naming"});
      continue;
    }
    if (naming[i] != '{') continue;
    const size_t close = naming.find('}', i);
    const size_t next_open = naming.find('{', i + 1);
    if (close == std::string::npos || (next_open != std::string::npos && next_open < close)) {
      problems.push_back({i, "'{' without a matching '}' in output.naming"});
      continue;
    }
    const std::string name = naming.substr(i + 1, close - i - 1);
    if (!is_field(name)) {
      problems.push_back({i, "unknown field {" + name + "} in output.naming" +
                                 did_you_mean(name, naming_fields()) +
                                 "; valid fields: " + join_names(naming_fields())});
    }
    i = close;
  }
  // Path components, with the fields still in: a field never renders to "/" (asset ids and job
  // names cannot hold one), so "..", "." and empty components can only come from the template.
  size_t start = 0;
  while (start <= naming.size()) {
    size_t end = naming.find('/', start);
    if (end == std::string::npos) end = naming.size();
    const std::string component = naming.substr(start, end - start);
    if (component == "..") {
      problems.push_back({start,
                          "output.naming must not contain '..': outputs stay inside "
                          "output.root; move the root instead"});
    } else if (component == ".") {
      problems.push_back({start, "output.naming must not contain '.' as a folder: remove it"});
    } else if (component.empty() && start > 0 && end < naming.size()) {
      problems.push_back({start, "output.naming has an empty folder name ('//'): remove one '/'"});
    }
    start = end + 1;
  }
  if (naming.back() == '/') {
    problems.push_back({naming.size() - 1, "output.naming must end with a file name, not '/'"});
  }
  return problems;
}

std::string deliverable_relative_path(const std::string& naming, const NamingValues& values) {
  const io::OutputFormatInfo& info = io::output_format_info(io::parse_output_format(values.format));
  std::string relative = render_output_name(naming, values);
  if (!info.is_folder) relative += info.extension;  // the extension carries its dot: ".mp4"
  return relative;
}

std::string render_output_name(const std::string& naming, const NamingValues& values) {
  std::string out;
  for (size_t i = 0; i < naming.size(); ++i) {
    if (naming[i] != '{') {
      out += naming[i];
      continue;
    }
    const size_t close = naming.find('}', i);
    MF_CHECK(close != std::string::npos, ConfigError, "unbalanced '{' in output.naming " << naming);
    const std::string name = naming.substr(i + 1, close - i - 1);
    if (name == "job") {
      out += values.job;
    } else if (name == "asset") {
      out += values.asset;
    } else if (name == "seed") {
      out += std::to_string(values.seed);
    } else if (name == "segment") {
      out += values.segment < 0 ? "all" : padded(values.segment, 3);
    } else if (name == "date") {
      out += values.date;
    } else if (name == "format") {
      out += values.format;
    } else if (name == "index") {
      out += padded(values.index + 1, 4);
    } else {
      MF_CHECK(false, ConfigError, "unknown field {" << name << "} in output.naming");
    }
    i = close;
  }
  return out;
}

std::string today_date() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof(text), "%Y-%m-%d", &local);
  return text;
}

std::string output_path_escape(const std::string& root, const std::string& relative) {
  if (fs::path(relative).is_absolute()) return "the output path " + relative + " is absolute";
  return io::output_path_escape(root, relative);
}

}  // namespace motionfarm::coordinator
