// The output naming template: `output.naming` with {job} {asset} {seed} {segment} {date} {format}
// {index}, rendered per asset and format under the output root.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::coordinator {

// The field names a template may use, without braces.
const std::vector<std::string>& naming_fields();

// One problem of a template and the character it concerns (0-based offset into the template).
struct NamingProblem {
  size_t offset = 0;
  std::string message;
};

// Unknown fields (with "did you mean"), unbalanced braces, an empty template, an absolute path,
// and ".." or "." path components: everything that could make an output land outside the root.
std::vector<NamingProblem> naming_template_problems(const std::string& naming);

struct NamingValues {
  std::string job;
  std::string asset;
  uint64_t seed = 0;
  int64_t segment = -1;  // -1: the whole clip, rendered as "all"; else zero-padded to 3 digits
  std::string date;      // YYYY-MM-DD
  std::string format;    // "mp4", ...
  int64_t index = 0;     // 0-based; rendered 1-based, zero-padded to 4 digits
};

// Substitutes the fields. The template must be free of problems (precondition).
std::string render_output_name(const std::string& naming, const NamingValues& values);

// A deliverable's path relative to the output root: the rendered name plus the format's file
// extension (".mp4"; none for the PNG-frames folder). The one place validate and run agree on.
std::string deliverable_relative_path(const std::string& naming, const NamingValues& values);

// Today's local date as YYYY-MM-DD.
std::string today_date();

// The problem with writing `relative` under `root`, or "" when there is none: the path leaves the
// root lexically, or an existing folder on the way is a symlink that points outside the root.
std::string output_path_escape(const std::string& root, const std::string& relative);

}  // namespace motionfarm::coordinator
