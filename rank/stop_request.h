// Stopping a rank cleanly on a signal: SIGUSR1 and SIGTERM (what Slurm sends before the time
// limit or on pre-emption) and a first SIGINT ask the work to stop at the next sampling-step
// boundary; a second SIGINT ends the process at once (the default action is restored after the
// first). The handler only sets a flag; the worker and the coordinator poll it.
#pragma once

namespace motionfarm::rank {

// Installs the handlers (idempotent). Call once, early, in the main thread.
void install_stop_signal_handlers();
// The signal number that asked to stop, or 0.
int stop_signal();
// Asks for a stop as if a signal had come (the coordinator uses it when a group reports one).
void request_stop(int signal_number);
bool stop_requested();

}  // namespace motionfarm::rank
