// The problems found in a manifest, collected so `motionfarm validate` reports all of them at once.
//
// Reading never stops at the first problem: each reader records what is wrong where and carries on
// with a default, and the caller decides at the end (ManifestError when there are errors).
#pragma once

#include <string>
#include <vector>

#include "coordinator/manifest.h"
#include "core/error.h"

namespace motionfarm::coordinator {

struct Diagnostic {
  SourcePosition where;
  std::string message;  // what is wrong and what to do
  bool is_warning = false;

  // "file:line:col: message" (warnings: "file:line:col: warning: message").
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(const SourcePosition& where, const std::string& message);
  void warning(const SourcePosition& where, const std::string& message);

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  // Every diagnostic ordered by file, line and column; a problem reported twice at the same place
  // (a bad default seen through every asset) appears once.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> entries_;
  size_t error_count_ = 0;
};

// A manifest that cannot run. what() lists every error, one "file:line:col: message" per line.
class ManifestError : public ConfigError {
 public:
  explicit ManifestError(std::vector<Diagnostic> problems);
  const std::vector<Diagnostic>& problems() const { return problems_; }

 private:
  std::vector<Diagnostic> problems_;
};

}  // namespace motionfarm::coordinator
