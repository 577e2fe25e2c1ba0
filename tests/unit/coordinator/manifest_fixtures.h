// Fixtures for the manifest tests: real (decodable) PNG files of a given size, and manifests
// written into a scratch folder.
#pragma once

#include <cstdint>
#include <string>

#include "coordinator/manifest_reader.h"

namespace motionfarm::testing {

// A complete grey RGB PNG (stored deflate blocks, correct CRCs and Adler-32).
std::string png_bytes(int64_t width, int64_t height);

// Writes `bytes` to `path`, creating its folders.
void write_file(const std::string& path, const std::string& bytes);

// The first diagnostic whose message contains `text`, or null.
const coordinator::Diagnostic* find_diagnostic(const coordinator::ManifestReport& report,
                                               const std::string& text);

// Every diagnostic, one per line, for failure messages.
std::string describe(const coordinator::ManifestReport& report);

}  // namespace motionfarm::testing
