// Reads the CSV files of `csv:` asset sources: RFC 4180 fields with their line and column.
#pragma once

#include <string>
#include <vector>

#include "coordinator/manifest_diagnostics.h"

namespace motionfarm::coordinator {

struct CsvCell {
  std::string text;  // unquoted; surrounding spaces of an unquoted field removed
  SourcePosition where;
};

struct CsvRow {
  SourcePosition where;  // the row's first character
  std::vector<CsvCell> cells;
};

// Splits `text` (the contents of `file`) into rows: fields separated by commas, optionally in
// double quotes (a quote inside is doubled; a quoted field may hold commas and line breaks).
// Blank lines and lines starting with '#' are skipped. An unterminated quote is reported at the
// opening quote; the rows before it are returned.
std::vector<CsvRow> parse_csv(const std::string& text, const std::string& file,
                              Diagnostics& diagnostics);

}  // namespace motionfarm::coordinator
