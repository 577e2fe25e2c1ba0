// The one logger: rank-aware human lines on stderr, and JSON lines to a file when one is opened.
//
//   MF_LOG(Info, "farm") << "asset " << id << " finished in " << seconds << " s";
//
// Thread-safe; the coordinator thread and the rank's main thread share it.
#pragma once

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace motionfarm::core {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

const char* to_string(LogLevel level);
// Parses "debug", "info", "warn", "error"; throws ConfigError naming the valid levels otherwise.
LogLevel parse_log_level(const std::string& text);

class Logger {
 public:
  static Logger& instance();

  // Prefixes every line with the rank once MPI is up ("[rank 3/8]").
  void set_rank(int rank, int world_size);
  void set_level(LogLevel level);
  LogLevel level() const { return level_; }
  // Appends JSON lines ({"ts":..,"level":..,"rank":..,"component":..,"msg":..}) to `path`.
  void open_json_file(const std::string& path);
  void write(LogLevel level, const std::string& component, const std::string& message);

 private:
  Logger() = default;
  std::mutex mutex_;
  LogLevel level_ = LogLevel::Info;
  int rank_ = -1;
  int world_size_ = 0;
  std::ofstream json_;
};

// Collects one line and hands it to the logger when it goes out of scope.
class LogLine {
 public:
  LogLine(LogLevel level, const char* component) : level_(level), component_(component) {}
  ~LogLine() { Logger::instance().write(level_, component_, stream_.str()); }
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  template <class T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  const char* component_;
  std::ostringstream stream_;
};

// Escapes a string for a JSON string literal (quotes not included).
std::string json_escape(const std::string& text);

}  // namespace motionfarm::core

#define MF_LOG(severity, component)                                                            \
  if (::motionfarm::core::LogLevel::severity < ::motionfarm::core::Logger::instance().level()) \
    ;                                                                                          \
  else                                                                                         \
    ::motionfarm::core::LogLine(::motionfarm::core::LogLevel::severity, component)
