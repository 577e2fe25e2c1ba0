// What a person can do about a failed asset, from the type of its last error (rank/farm_worker
// classifies them) and, for errors that share a type, the message.
#pragma once

#include <string>

namespace motionfarm::report {

// One or two sentences; never empty (the fallback points at the coordinator log and the rerun).
std::string error_hint(const std::string& error_type, const std::string& message);

}  // namespace motionfarm::report
