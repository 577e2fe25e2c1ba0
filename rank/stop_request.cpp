#include "rank/stop_request.h"

#include <atomic>
#include <csignal>

namespace motionfarm::rank {
namespace {

// Lock-free atomics are async-signal-safe.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal_number) {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, signal_number);
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a blocking MPI or file call goes on; the flag is read at the next step boundary.
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGUSR1, SIGTERM}) sigaction(signal_number, &action, nullptr);
  // SA_RESETHAND: the next SIGINT takes the default action, so Ctrl-C twice ends a stuck run.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
}

int stop_signal() { return g_stop_signal.load(); }

void request_stop(int signal_number) {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, signal_number);
}

bool stop_requested() { return g_stop_signal.load() != 0; }

}  // namespace motionfarm::rank
