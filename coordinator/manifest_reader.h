// Reads a job manifest (YAML, docs/manifest.md) into a resolved Job, collecting every problem.
//
// `motionfarm validate` prints the report's diagnostics; `motionfarm run` calls load_job, which
// throws when the manifest cannot run. Neither needs MPI, a GPU or the model weights loaded: the
// model preset's facts come from configs/models/, and images are checked from their headers.
#pragma once

#include <string>
#include <vector>

#include "coordinator/manifest.h"
#include "coordinator/manifest_diagnostics.h"
#include "coordinator/manifest_yaml.h"

namespace motionfarm::coordinator {

struct ManifestOptions {
  int world_size = 0;         // ranks the job will run on (`--ranks`); 0 when not known yet
  std::string date;           // what {date} renders as (YYYY-MM-DD); empty: today
  bool check_images = true;   // open every image's header (exists, readable, an image, whole)
  bool check_weights = true;  // every weight path exists
  YamlLimits limits;
};

struct ManifestReport {
  Job job;  // complete only when can_run(); otherwise what could be read
  std::vector<Diagnostic> diagnostics;  // errors and warnings by position, duplicates removed
  size_t error_count = 0;

  bool can_run() const { return error_count == 0; }
};

// The top-level keys, in the order docs/manifest.md documents them.
const std::vector<std::string>& manifest_keys();

// Reads and checks everything; never throws for a problem of the manifest or of the files it
// names (those are diagnostics).
ManifestReport read_manifest(const std::string& path, const ManifestOptions& options = {});

// read_manifest, then ManifestError listing every error when the job cannot run.
Job load_job(const std::string& path, const ManifestOptions& options = {});

}  // namespace motionfarm::coordinator
