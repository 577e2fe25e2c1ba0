// How a task's failure is recorded: the error type the ledger and the report key on (the hint a
// wrangler reads depends on it) and the message. One place, so the worker and its tests agree.
#pragma once

#include <exception>
#include <string>

namespace motionfarm::rank {

// "non-finite", "input", "output-path", "config", "model", "checkpoint", "disk-full",
// "out-of-memory" or "internal". Out of memory is std::bad_alloc, c10::OutOfMemoryError, or a
// LibTorch error that says so ("CUDA out of memory" on a GPU; "DefaultCPUAllocator: can't allocate
// memory" on the CPU, which 1.13 throws as a plain c10::Error).
std::string task_error_type(const std::exception& error);

// The error's message; for out of memory, starting with "out of memory: " whatever words the
// framework used, so the ledger and the report say it plainly.
std::string task_error_message(const std::exception& error);

}  // namespace motionfarm::rank
