#include "tests/e2e/report/headless_browser.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace motionfarm::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t accumulator = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding and line breaks
    accumulator = (accumulator << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  return out;
}

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string find_chromium() {
  if (const char* given = std::getenv("MOTIONFARM_CHROMIUM"); given && *given) return given;
  const char* path = std::getenv("PATH");
  std::string folders = path ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    size_t start = 0;
    while (start <= folders.size()) {
      const size_t colon = std::min(folders.find(':', start), folders.size());
      const std::string candidate = folders.substr(start, colon - start) + "/" + name;
      if (colon > start && executable(candidate)) return candidate;
      start = colon + 1;
    }
  }
  return "";
}

HeadlessBrowser::HeadlessBrowser(const std::string& profile_dir, int width, int height) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) throw std::runtime_error("no chromium on PATH (apt-get install chromium)");
  fs::create_directories(profile_dir);
  int to_browser[2];
  int from_browser[2];
  if (pipe(to_browser) != 0 || pipe(from_browser) != 0) throw std::runtime_error("pipe failed");
  const std::string log = profile_dir + "/chromium.log";
  std::vector<std::string> args = {
      chromium,
      "--headless",
      "--no-sandbox",  // tests run as root in CI containers
      "--disable-gpu",
      "--remote-debugging-pipe",
      "--user-data-dir=" + profile_dir,
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--mute-audio",
      "--hide-scrollbars",
      "--window-size=" + std::to_string(width) + "," + std::to_string(height),
      "about:blank"};
  // Built before fork: the child may only make async-signal-safe calls (no allocation).
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The protocol's descriptors are 3 (browser reads) and 4 (browser writes). Move ours above
    // them first, so that no dup2 below overwrites one still needed.
    const int in = fcntl(to_browser[0], F_DUPFD, 10);
    const int out = fcntl(from_browser[1], F_DUPFD, 10);
    const int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 3);
    dup2(out, 4);
    if (logfd >= 0) {
      dup2(logfd, 1);
      dup2(logfd, 2);
    }
    for (int fd = 5; fd < 1024; ++fd) close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(to_browser[0]);
  close(from_browser[1]);
  to_browser_ = to_browser[1];
  from_browser_ = from_browser[0];
  fcntl(to_browser_, F_SETFD, FD_CLOEXEC);
  fcntl(from_browser_, F_SETFD, FD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);  // a browser that died is reported by the failed write instead

  const json target = command("Target.createTarget", {{"url", "about:blank"}}, 60.0, false);
  const json attached =
      command("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}},
              30.0, false);
  session_ = attached.at("sessionId").get<std::string>();
  command("Page.enable", json::object());
  command("Runtime.enable", json::object());
  command("Log.enable", json::object());
  command("Emulation.setDeviceMetricsOverride",
          {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

HeadlessBrowser::~HeadlessBrowser() {
  if (pid_ <= 0) return;
  try {
    command("Browser.close", json::object(), 5.0, false);
  } catch (const std::exception&) {
  }
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(to_browser_);
  close(from_browser_);
}

json HeadlessBrowser::command(const std::string& method, const json& params, double timeout_s,
                              bool on_page) {
  const int64_t id = next_id_++;
  json message = {{"id", id}, {"method", method}, {"params", params}};
  if (on_page) message["sessionId"] = session_;
  const std::string text = message.dump() + std::string(1, '\0');
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(to_browser_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the browser is gone (writing " + method + ")");
    written += size_t(n);
  }
  const json reply = wait_for(method, timeout_s, [id](const json& m) {
    return m.contains("id") && m["id"].get<int64_t>() == id;
  });
  if (reply.contains("error")) {
    throw std::runtime_error(method + " failed: " + reply["error"].dump());
  }
  return reply.value("result", json::object());
}

json HeadlessBrowser::wait_for(const std::string& what, double timeout_s,
                               const std::function<bool(const json&)>& done) {
  for (auto it = pending_events_.begin(); it != pending_events_.end(); ++it) {
    if (done(*it)) {
      json found = *it;
      pending_events_.erase(it);
      return found;
    }
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    size_t end;
    while ((end = buffer_.find('\0')) != std::string::npos) {
      json message = json::parse(buffer_.substr(0, end));
      buffer_.erase(0, end + 1);
      if (message.contains("method")) record_event(message);
      if (done(message)) return message;
      if (message.contains("method")) pending_events_.push_back(std::move(message));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw std::runtime_error("the browser did not answer in time: " + what);
    pollfd poll_fd{from_browser_, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the browser closed the pipe (waiting for " + what + ")");
    buffer_.append(chunk, size_t(n));
  }
}

void HeadlessBrowser::record_event(const json& message) {
  const std::string method = message["method"].get<std::string>();
  const json& params = message.contains("params") ? message["params"] : json::object();
  if (method == "Runtime.consoleAPICalled") {
    const std::string type = params.value("type", "");
    if (type != "error" && type != "assert") return;
    std::string text = "console." + type + ":";
    for (const json& arg : params.value("args", json::array())) {
      text += " " + (arg.contains("value") ? arg["value"].dump() : arg.value("description", ""));
    }
    errors_.push_back(text);
  } else if (method == "Runtime.exceptionThrown") {
    const json& details = params.value("exceptionDetails", json::object());
    std::string text = "exception: " + details.value("text", "");
    if (details.contains("exception")) text += " " + details["exception"].value("description", "");
    errors_.push_back(text);
  } else if (method == "Log.entryAdded") {
    const json& entry = params.value("entry", json::object());
    if (entry.value("level", "") == "error") {
      errors_.push_back("log: " + entry.value("text", "") + " " + entry.value("url", ""));
    }
  }
}

void HeadlessBrowser::open(const std::string& url, double timeout_s) {
  // Events of an earlier page must not satisfy this wait.
  pending_events_.clear();
  const json navigated = command("Page.navigate", {{"url", url}}, timeout_s);
  if (navigated.contains("errorText")) {
    throw std::runtime_error("cannot open " + url + ": " + navigated["errorText"].dump());
  }
  wait_for("the load event of " + url, timeout_s,
           [](const json& m) { return m.value("method", "") == "Page.loadEventFired"; });
}

json HeadlessBrowser::evaluate(const std::string& expression, double timeout_s) {
  const json result = command("Runtime.evaluate",
                              {{"expression", expression},
                               {"awaitPromise", true},
                               {"returnByValue", true},
                               {"timeout", timeout_s * 1000.0}},
                              timeout_s + 5.0);
  if (result.contains("exceptionDetails")) {
    const json& details = result["exceptionDetails"];
    std::string text = details.value("text", "exception");
    if (details.contains("exception")) text += ": " + details["exception"].value("description", "");
    throw std::runtime_error("evaluate failed: " + text);
  }
  return result.at("result").value("value", json());
}

void HeadlessBrowser::screenshot(const std::string& path) {
  const json shot = command("Page.captureScreenshot", {{"format", "png"}});
  const std::string png = base64_decode(shot.at("data").get<std::string>());
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << png;
}

const std::vector<std::string>& HeadlessBrowser::console_errors() {
  // Pick up events that arrived after the last command.
  try {
    wait_for("pending events", 0.2, [](const json&) { return false; });
  } catch (const std::runtime_error&) {
    // the deadline: nothing more came
  }
  return errors_;
}

}  // namespace motionfarm::testing
