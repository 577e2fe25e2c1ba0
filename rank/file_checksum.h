// The checksum the ledger records for each deliverable, so a rerun keeps a finished clip only while
// the file is the one the job wrote (and `motionfarm status`/the report can show it).
#pragma once

#include <string>

namespace motionfarm::rank {

// FNV-1a 64 of the file's bytes as 16 hex digits; for a folder (PNG frames), of its files' names
// and bytes in name order. Throws Error when it cannot be read.
std::string file_checksum(const std::string& path);

}  // namespace motionfarm::rank
