// Recognising a write that failed because the file system has no room, so that every writer (latent
// store, clip, ledger) reports it in the same words and throws the same DiskFullError.
#pragma once

#include <string>

namespace motionfarm::core {

// True for the errno values that mean a file could not grow: ENOSPC (the file system is full),
// EDQUOT (the user's quota is) and EFBIG (the file reached the process's size limit, `ulimit -f`,
// which is how the tests fill a disk without root).
bool is_out_of_space(int errno_value);

// "the disk is full (No space left on device): free space there and rerun the same command;
// finished work is kept". The sentence every DiskFullError message ends with.
std::string disk_full_text(int errno_value);

}  // namespace motionfarm::core
