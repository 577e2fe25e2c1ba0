#include "report/html_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

namespace motionfarm::report {

namespace fs = std::filesystem;

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string relative_url(const std::string& path, const std::string& root) {
  const fs::path p(path);
  const fs::path relative =
      p.is_absolute() ? p.lexically_normal().lexically_relative(fs::path(root).lexically_normal())
                      : p.lexically_normal();
  // RFC 3986 unreserved characters and the separator stay; every other byte is %XX.
  static const char kHex[] = "0123456789ABCDEF";
  std::string url;
  for (const unsigned char c : relative.generic_string()) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    }
  }
  return url;
}

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[48];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof(text), "%lld min %02lld s", s / 60, s % 60);
  } else if (seconds > 0.0 && seconds < 9.95) {
    std::snprintf(text, sizeof(text), "%.1f s", seconds);
  } else {
    std::snprintf(text, sizeof(text), "%lld s", s);
  }
  return text;
}

std::string bytes_text(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  double value = double(bytes);
  int unit = -1;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string local_time_text(double seconds_since_epoch) {
  if (seconds_since_epoch <= 0.0) return "-";
  const auto t = static_cast<std::time_t>(seconds_since_epoch);
  std::tm parts{};
  localtime_r(&t, &parts);
  char text[80];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S %Z", &parts);
  return text;
}

std::string iso_time_text(double seconds_since_epoch) {
  if (seconds_since_epoch <= 0.0) return "";
  const auto t = static_cast<std::time_t>(seconds_since_epoch);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string fixed_text(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

}  // namespace motionfarm::report
