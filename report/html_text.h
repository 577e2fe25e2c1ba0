// Text for report.html: HTML escaping of user text (ids, prompts, error messages, paths),
// relative URLs to files under the output root, and the human forms of durations, sizes and
// times.
#pragma once

#include <cstdint>
#include <string>

namespace motionfarm::report {

// & < > " ' as entities: safe in element content and in quoted attribute values.
std::string escape_html(const std::string& text);

// `path` relative to the folder `root` as a URL path: '/'-separated and percent-encoded (spaces,
// '#', '?', '%', non-ASCII bytes...), so it works as href/src from a page in `root` on any file
// system. Paths outside `root` get "../" components; a relative path is taken as already relative.
std::string relative_url(const std::string& path, const std::string& root);

// "42 s", "3 min 05 s", "2 h 13 min".
std::string duration_text(double seconds);
// "812 B", "1.4 KB", "23.1 MB", "2.0 GB" (powers of 1024).
std::string bytes_text(int64_t bytes);
// Local time with its zone, "2024-11-25 19:02:11 CET"; "-" for 0.
std::string local_time_text(double seconds_since_epoch);
// UTC in ISO 8601, "2024-11-25T18:02:11Z"; "" for 0.
std::string iso_time_text(double seconds_since_epoch);
// `value` with `decimals` digits after the point.
std::string fixed_text(double value, int decimals);

}  // namespace motionfarm::report
