#include "rank/task_error.h"

#include <c10/util/Exception.h>

#include <new>

#include "core/error.h"
#include "rank/finite_check.h"

namespace motionfarm::rank {
namespace {

// LibTorch's words: "CUDA out of memory" (c10::OutOfMemoryError) on a GPU; on the CPU,
// "DefaultCPUAllocator: can't allocate memory" (1.13) or "not enough memory" (later versions).
bool says_out_of_memory(const std::string& what) {
  for (const char* words : {"out of memory", "can't allocate memory", "not enough memory"}) {
    if (what.find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string task_error_type(const std::exception& error) {
  // Most derived first: OutputPathError is a ConfigError, NonFiniteError a ModelError.
  if (dynamic_cast<const NonFiniteError*>(&error)) return "non-finite";
  if (dynamic_cast<const InputError*>(&error)) return "input";
  if (dynamic_cast<const OutputPathError*>(&error)) return "output-path";
  if (dynamic_cast<const ConfigError*>(&error)) return "config";
  if (dynamic_cast<const ModelError*>(&error)) return "model";
  if (dynamic_cast<const CheckpointError*>(&error)) return "checkpoint";
  if (dynamic_cast<const DiskFullError*>(&error)) return "disk-full";
  if (dynamic_cast<const std::bad_alloc*>(&error)) return "out-of-memory";
  if (dynamic_cast<const c10::OutOfMemoryError*>(&error)) return "out-of-memory";
  if (says_out_of_memory(error.what())) return "out-of-memory";
  return "internal";
}

std::string task_error_message(const std::exception& error) {
  const std::string what = error.what();
  if (task_error_type(error) != "out-of-memory" || what.rfind("out of memory", 0) == 0) return what;
  return "out of memory: " + what;
}

}  // namespace motionfarm::rank
