#include "model/tokenizer_text_clean.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

namespace motionfarm::model {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// UTF-8 -> code points; each invalid or truncated sequence becomes one U+FFFD.
std::u32string decode_utf8(const std::string& text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t code = 0;
    char32_t minimum = 0;
    if (byte < 0x80) {
      length = 1;
      code = byte;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
      minimum = 0x80;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
      minimum = 0x800;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
      minimum = 0x10000;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    std::size_t taken = 1;
    while (taken < length && i + taken < text.size() &&
           (static_cast<unsigned char>(text[i + taken]) & 0xC0) == 0x80) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + taken]) & 0x3F);
      ++taken;
    }
    const bool valid = taken == length && code >= minimum && code <= 0x10FFFF &&
                       !(code >= 0xD800 && code <= 0xDFFF);
    out.push_back(valid ? code : kReplacement);
    i += taken;
  }
  return out;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

std::string encode_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t code : text) append_utf8(out, code);
  return out;
}

// Python's \s on str (the Unicode White_Space property).
bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// ftfy's remove_control_chars set (tab, newline, form feed and carriage return stay).
bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC) ||
         (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE007F);
}

// ftfy's fix_latin_ligatures table.
const std::map<char32_t, std::u32string>& latin_ligatures() {
  static const std::map<char32_t, std::u32string> table = {
      {0x0132, U"IJ"},      {0x0133, U"ij"},      {0x0149, U"\u02BCn"}, {0x01C4, U"D\u017D"},
      {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"}, {0x01C7, U"LJ"},      {0x01C8, U"Lj"},
      {0x01C9, U"lj"},      {0x01CA, U"NJ"},      {0x01CB, U"Nj"},      {0x01CC, U"nj"},
      {0x01F1, U"DZ"},      {0x01F2, U"Dz"},      {0x01F3, U"dz"},      {0xFB00, U"ff"},
      {0xFB01, U"fi"},      {0xFB02, U"fl"},      {0xFB03, U"ffi"},     {0xFB04, U"ffl"},
      {0xFB05, U"\u017Ft"}, {0xFB06, U"st"},
  };
  return table;
}

// The part of ftfy.fix_text described in the header, in ftfy's order.
std::u32string fix_text(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    // Terminal escapes: ESC [ (digits | ;)* letter.
    if (c == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      std::size_t end = i + 2;
      while (end < text.size() && ((text[end] >= U'0' && text[end] <= U'9') || text[end] == U';')) {
        ++end;
      }
      if (end < text.size() &&
          ((text[end] >= U'a' && text[end] <= U'z') || (text[end] >= U'A' && text[end] <= U'Z'))) {
        i = end;
        continue;
      }
    }
    const auto ligature = latin_ligatures().find(c);
    if (ligature != latin_ligatures().end()) {
      out += ligature->second;
      continue;
    }
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;  // fullwidth ASCII
    if (c == 0x3000) c = U' ';                              // ideographic space
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) c = U'\'';
    if (c >= 0x201C && c <= 0x201F) c = U'"';
    if (is_removed_control(c)) continue;
    out.push_back(c);
  }
  return out;
}

// Named references that Python's html.unescape also accepts without the ';' (HTML5's legacy
// list): the Latin-1 range U+00A0..U+00FF in order, then the few others.
constexpr const char* kLatin1Entities[] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

const std::map<std::string, char32_t>& legacy_entities() {
  static const std::map<std::string, char32_t> table = [] {
    std::map<std::string, char32_t> t = {
        {"amp", U'&'}, {"AMP", U'&'},  {"lt", U'<'},   {"LT", U'<'},   {"gt", U'>'},
        {"GT", U'>'},  {"quot", U'"'}, {"QUOT", U'"'}, {"COPY", 0xA9}, {"REG", 0xAE}};
    char32_t code = 0xA0;
    for (const char* name : kLatin1Entities) t[name] = code++;
    return t;
  }();
  return table;
}

// Named references only recognised with their ';'.
const std::map<std::string, char32_t>& semicolon_entities() {
  static const std::map<std::string, char32_t> table = {
      {"apos", U'\''},    {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},
      {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},
      {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"bull", 0x2022},   {"euro", 0x20AC},
      {"trade", 0x2122},  {"dagger", 0x2020}, {"Dagger", 0x2021}, {"permil", 0x2030},
      {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"prime", 0x2032},  {"Prime", 0x2033},
      {"larr", 0x2190},   {"uarr", 0x2191},   {"rarr", 0x2192},   {"darr", 0x2193},
      {"harr", 0x2194},   {"hearts", 0x2665}, {"spades", 0x2660}, {"clubs", 0x2663},
      {"diams", 0x2666},  {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009},
      {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},    {"rlm", 0x200F},
      {"OElig", 0x0152},  {"oelig", 0x0153},  {"Scaron", 0x0160}, {"scaron", 0x0161},
      {"Yuml", 0x0178},   {"fnof", 0x0192},   {"circ", 0x02C6},   {"tilde", 0x02DC},
  };
  return table;
}

// html.unescape's numeric rules: C1 references are read as Windows-1252, NUL and surrogates and
// out-of-range values become U+FFFD, other control and non-characters vanish (returns 0).
char32_t numeric_reference(uint32_t value, bool& drop) {
  static const std::map<uint32_t, char32_t> windows_1252 = {
      {0x80, 0x20AC}, {0x82, 0x201A}, {0x83, 0x0192}, {0x84, 0x201E}, {0x85, 0x2026},
      {0x86, 0x2020}, {0x87, 0x2021}, {0x88, 0x02C6}, {0x89, 0x2030}, {0x8A, 0x0160},
      {0x8B, 0x2039}, {0x8C, 0x0152}, {0x8E, 0x017D}, {0x91, 0x2018}, {0x92, 0x2019},
      {0x93, 0x201C}, {0x94, 0x201D}, {0x95, 0x2022}, {0x96, 0x2013}, {0x97, 0x2014},
      {0x98, 0x02DC}, {0x99, 0x2122}, {0x9A, 0x0161}, {0x9B, 0x203A}, {0x9C, 0x0153},
      {0x9E, 0x017E}, {0x9F, 0x0178}};
  drop = false;
  if (value == 0) return kReplacement;
  if (value == 0x0D) return U'\r';
  const auto mapped = windows_1252.find(value);
  if (mapped != windows_1252.end()) return mapped->second;
  if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return kReplacement;
  const bool invalid = (value >= 0x01 && value <= 0x08) || value == 0x0B ||
                       (value >= 0x0E && value <= 0x1F) || (value >= 0x7F && value <= 0x9F) ||
                       (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
  drop = invalid;
  return static_cast<char32_t>(value);
}

bool is_digit(char32_t c, bool hex) {
  if (c >= U'0' && c <= U'9') return true;
  return hex && ((c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F'));
}

// Parses the reference starting after '&' at text[start]; on success appends the replacement to
// `out` and returns the index just past the reference, else returns `start` (nothing consumed).
std::size_t unescape_one(const std::u32string& text, std::size_t start, std::u32string& out) {
  std::size_t i = start;
  if (i < text.size() && text[i] == U'#') {
    ++i;
    const bool hex = i < text.size() && (text[i] == U'x' || text[i] == U'X');
    if (hex) ++i;
    const std::size_t digits = i;
    uint64_t value = 0;
    while (i < text.size() && is_digit(text[i], hex)) {
      const char32_t c = text[i];
      const uint32_t digit = c <= U'9' ? c - U'0' : (c | 0x20) - U'a' + 10;
      value = std::min<uint64_t>(value * (hex ? 16 : 10) + digit, 0x110000);
      ++i;
    }
    if (i == digits) return start;
    if (i < text.size() && text[i] == U';') ++i;
    bool drop = false;
    const char32_t code = numeric_reference(static_cast<uint32_t>(value), drop);
    if (!drop) out.push_back(code);
    return i;
  }
  // A name: up to 32 characters other than tab, newline, form feed, space, '<', '&', '#', ';'.
  while (i < text.size() && i - start < 32) {
    const char32_t c = text[i];
    if (c == U'\t' || c == U'\n' || c == U'\f' || c == U' ' || c == U'<' || c == U'&' ||
        c == U'#' || c == U';') {
      break;
    }
    ++i;
  }
  if (i == start) return start;
  std::string name;
  for (std::size_t k = start; k < i; ++k) {
    if (text[k] >= 0x80) return start;  // every known name is ASCII
    name.push_back(static_cast<char>(text[k]));
  }
  const bool semicolon = i < text.size() && text[i] == U';';
  if (semicolon) {
    const auto found = semicolon_entities().find(name);
    if (found != semicolon_entities().end()) {
      out.push_back(found->second);
      return i + 1;
    }
    const auto legacy = legacy_entities().find(name);
    if (legacy != legacy_entities().end()) {
      out.push_back(legacy->second);
      return i + 1;
    }
  }
  // Otherwise the longest legacy name (two characters or more) that the name starts with; what
  // follows it, ';' included, stays as written.
  for (std::size_t length = name.size(); length >= 2; --length) {
    const auto legacy = legacy_entities().find(name.substr(0, length));
    if (legacy != legacy_entities().end()) {
      out.push_back(legacy->second);
      return start + length;
    }
  }
  return start;
}

std::u32string unescape(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == U'&') {
      const std::size_t next = unescape_one(text, i + 1, out);
      if (next != i + 1) {
        i = next;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

std::u32string collapse(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char32_t c : text) {
    if (is_whitespace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string unescape_html_entities(const std::string& text) {
  return encode_utf8(unescape(decode_utf8(text)));
}

std::string collapse_whitespace(const std::string& text) {
  return encode_utf8(collapse(decode_utf8(text)));
}

std::string clean_prompt_text(const std::string& text) {
  // basic_clean: fix_text, unescape twice (double-escaped prompts from web forms), strip;
  // then whitespace_clean. Collapsing also strips, so one pass does both.
  return encode_utf8(collapse(unescape(unescape(fix_text(decode_utf8(text))))));
}

}  // namespace motionfarm::model
