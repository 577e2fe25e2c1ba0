#include "coordinator/manifest_csv.h"

namespace motionfarm::coordinator {
namespace {

std::string trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool is_blank_or_comment(const CsvRow& row) {
  if (row.cells.size() == 1 && row.cells[0].text.empty()) return true;
  return !row.cells.empty() && !row.cells[0].text.empty() && row.cells[0].text[0] == '#';
}

}  // namespace

std::vector<CsvRow> parse_csv(const std::string& text, const std::string& file,
                              Diagnostics& diagnostics) {
  std::vector<CsvRow> rows;
  int line = 1;
  int column = 1;
  size_t i = 0;
  // A byte-order mark from spreadsheet exports is not part of the first header name.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;

  CsvRow row{{file, line, column}, {}};
  CsvCell cell{"", {file, line, column}};
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted (keep its spaces)
  SourcePosition quote_at;
  const auto end_cell = [&]() {
    if (!was_quoted) cell.text = trim(cell.text);
    row.cells.push_back(std::move(cell));
  };
  const auto end_row = [&]() {
    end_cell();
    if (!is_blank_or_comment(row)) rows.push_back(std::move(row));
  };
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.text += '"';
        ++i;
        column += 2;
        continue;
      }
      if (c == '"') {
        quoted = false;
      } else {
        cell.text += c;
      }
      if (c == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      continue;
    }
    if (c == '"' && trim(cell.text).empty()) {
      quoted = true;
      was_quoted = true;
      quote_at = {file, line, column};
      cell.text.clear();
      ++column;
    } else if (c == ',') {
      end_cell();
      ++column;
      cell = {"", {file, line, column}};
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      column = 1;
      row = {{file, line, column}, {}};
      cell = {"", {file, line, column}};
      was_quoted = false;
    } else {
      cell.text += c;
      ++column;
    }
  }
  if (quoted) {
    diagnostics.error(quote_at, "this quoted CSV field is never closed: add the closing '\"'");
    return rows;
  }
  end_row();
  return rows;
}

}  // namespace motionfarm::coordinator
