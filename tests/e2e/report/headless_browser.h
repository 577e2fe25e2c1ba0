// Headless Chromium driven over the Chrome DevTools Protocol through a pipe
// (--remote-debugging-pipe: JSON messages separated by NUL bytes on file descriptors 3 and 4), so
// the browser tests need nothing but Debian's `chromium` package: no Node, no Python, no port.
//
//   HeadlessBrowser browser(scratch.path() + "/profile");
//   browser.open("file:///.../report.html");  // returns after the load event
//   nlohmann::json value = browser.evaluate("(async () => ({ok: true}))()");
//   browser.screenshot("page.png");
//   browser.console_errors();                 // console.error, uncaught exceptions, failed loads
//
// Every wait has a deadline: a browser that hangs fails the test instead of the test hanging.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace motionfarm::testing {

// The Chromium executable: $MOTIONFARM_CHROMIUM, else the first of chromium, chromium-browser,
// google-chrome on PATH; "" when there is none.
std::string find_chromium();

class HeadlessBrowser {
 public:
  // Starts the browser with a fresh profile in `profile_dir` and a page of width x height CSS
  // pixels. Throws std::runtime_error when it cannot be started.
  explicit HeadlessBrowser(const std::string& profile_dir, int width = 1280, int height = 1400);
  ~HeadlessBrowser();  // closes the browser (and kills it when it does not close)
  HeadlessBrowser(const HeadlessBrowser&) = delete;
  HeadlessBrowser& operator=(const HeadlessBrowser&) = delete;

  // Navigates the page and waits for its load event (at most `timeout_s`).
  void open(const std::string& url, double timeout_s = 30.0);
  // Runs `expression` in the page; a promise is awaited. Returns its value (JSON-serialisable
  // values only). Throws std::runtime_error with the exception's text when it throws.
  nlohmann::json evaluate(const std::string& expression, double timeout_s = 30.0);
  // Writes a PNG of the viewport.
  void screenshot(const std::string& path);
  // Everything the page reported as an error since start: console.error/assert, uncaught
  // exceptions and browser log errors (a resource that failed to load), one line each.
  const std::vector<std::string>& console_errors();

 private:
  // Sends a command on the page's session and returns its "result"; throws on a protocol error.
  nlohmann::json command(const std::string& method, const nlohmann::json& params,
                         double timeout_s = 30.0, bool on_page = true);
  // Reads messages until `done` holds for one (returned), recording events on the way.
  nlohmann::json wait_for(const std::string& what, double timeout_s,
                          const std::function<bool(const nlohmann::json&)>& done);
  void record_event(const nlohmann::json& message);

  pid_t pid_ = -1;
  int to_browser_ = -1;    // our end of the browser's fd 3
  int from_browser_ = -1;  // our end of the browser's fd 4
  std::string buffer_;     // bytes read but not yet split into messages
  int64_t next_id_ = 1;
  std::string session_;  // the page's flattened session id
  std::vector<nlohmann::json> pending_events_;
  std::vector<std::string> errors_;
};

}  // namespace motionfarm::testing
