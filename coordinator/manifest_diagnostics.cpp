#include "coordinator/manifest_diagnostics.h"

#include <algorithm>
#include <tuple>

namespace motionfarm::coordinator {

std::string SourcePosition::to_string() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

bool operator<(const SourcePosition& a, const SourcePosition& b) {
  return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
}

bool operator==(const SourcePosition& a, const SourcePosition& b) {
  return a.file == b.file && a.line == b.line && a.column == b.column;
}

std::string Diagnostic::to_string() const {
  return where.to_string() + ": " + (is_warning ? "warning: " : "") + message;
}

void Diagnostics::error(const SourcePosition& where, const std::string& message) {
  entries_.push_back({where, message, false});
  ++error_count_;
}

void Diagnostics::warning(const SourcePosition& where, const std::string& message) {
  entries_.push_back({where, message, true});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> result = entries_;
  std::stable_sort(result.begin(), result.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.where < b.where; });
  // Sorted by position, so a duplicate is among the kept entries at the same position at the end.
  std::vector<Diagnostic> unique;
  for (Diagnostic& entry : result) {
    bool seen = false;
    for (auto kept = unique.rbegin(); kept != unique.rend() && kept->where == entry.where; ++kept) {
      seen = seen || (kept->message == entry.message && kept->is_warning == entry.is_warning);
    }
    if (!seen) unique.push_back(std::move(entry));
  }
  return unique;
}

namespace {
std::string list_problems(const std::vector<Diagnostic>& problems) {
  std::string text;
  for (const Diagnostic& problem : problems) {
    if (problem.is_warning) continue;
    text += (text.empty() ? "" : "\n") + problem.to_string();
  }
  return text;
}
}  // namespace

ManifestError::ManifestError(std::vector<Diagnostic> problems)
    : ConfigError(list_problems(problems)), problems_(std::move(problems)) {}

}  // namespace motionfarm::coordinator
