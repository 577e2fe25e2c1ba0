// Whether a deliverable's path stays inside its output root, on the file system as it is now.
//
// The manifest validator asks before anything runs (coordinator/manifest_naming.h); the writer
// asks again when it creates its temporary and just before it renames it into place
// (io/staged_output.h), because a folder inside the root may be swapped for a symlink in between.
#pragma once

#include <string>

namespace motionfarm::io {

// The problem with writing `path` inside `root`, or "" when there is none: `path` (absolute, or
// relative to `root`) leaves `root` once ".." is resolved, or an existing file or folder on its way
// is a symlink that resolves outside `root`. `root` itself may be a symlink (where it points is
// inside). Components that do not exist yet are fine: nothing can point them elsewhere until they
// are made, and the writer asks again then.
std::string output_path_escape(const std::string& root, const std::string& path);

}  // namespace motionfarm::io
