// Helpers shared by the libFuzzer targets: a private scratch folder per fuzzing process and the
// one rule every target checks.
//
// The parsers under test read files by path, so a target writes each input into its scratch
// folder first. The folder is made once (mkdtemp under $TMPDIR) and removed when the process
// exits, so parallel fuzzers never see each other's files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace motionfarm::fuzz {

// The scratch folder of this process, created on first use.
const std::string& scratch_dir();

// Writes `size` bytes to `<scratch>/<name>` (replacing it) and returns the full path. Aborts
// when the write fails: a fuzz run on a full disk finds nothing.
std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size);
std::string write_scratch_file(const std::string& name, const std::string& text);

// Removes `<scratch>/<name>` if present (files a previous input left, e.g. SQLite's -wal).
void remove_scratch_file(const std::string& name);

// Reports a broken invariant as a crash: libFuzzer saves the input that caused it.
[[noreturn]] void invariant_failed(const std::string& what);

}  // namespace motionfarm::fuzz
