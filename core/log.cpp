#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>

#include "core/error.h"

namespace motionfarm::core {

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

LogLevel parse_log_level(const std::string& text) {
  for (LogLevel level : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (text == to_string(level)) return level;
  }
  throw ConfigError("unknown log level '" + text + "': use debug, info, warn or error");
}

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

void Logger::set_rank(int rank, int world_size) {
  std::lock_guard<std::mutex> lock(mutex_);
  rank_ = rank;
  world_size_ = world_size;
}

void Logger::set_level(LogLevel level) {
  std::lock_guard<std::mutex> lock(mutex_);
  level_ = level;
}

void Logger::open_json_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  json_.close();
  json_.open(path, std::ios::app);
  if (!json_) throw InputError("cannot open log file '" + path + "' for appending");
}

std::string json_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void Logger::write(LogLevel level, const std::string& component, const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);

  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream line;
  line << std::put_time(&local, "%H:%M:%S") << '.' << std::setw(3) << std::setfill('0') << millis
       << ' ' << std::setw(5) << std::setfill(' ') << std::left << to_string(level);
  if (rank_ >= 0) line << " [rank " << rank_ << '/' << world_size_ << ']';
  line << ' ' << component << ": " << message << '\n';
  std::fputs(line.str().c_str(), stderr);

  if (json_.is_open()) {
    // Fixed notation with milliseconds: the default stream precision would print 1.79563e+09.
    json_ << "{\"ts\":" << std::fixed << std::setprecision(3)
          << std::chrono::duration<double>(now.time_since_epoch()).count() << std::defaultfloat
          << ",\"level\":\"" << to_string(level) << "\",\"rank\":" << rank_ << ",\"component\":\""
          << json_escape(component) << "\",\"msg\":\"" << json_escape(message) << "\"}\n";
    json_.flush();
  }
}

}  // namespace motionfarm::core
