// The job a manifest describes, fully resolved: what the scheduler, the ranks and the ledger read.
//
// A `Job` leaves nothing undecided: every asset carries its own seed, frame count, resolution,
// sampler settings and segment plan, after defaults, glob/CSV entries and per-asset overrides were
// applied (docs/manifest.md gives the order). Each part remembers the manifest position it came
// from, so a problem found later (a corrupt image at render time) can still point at the line.
// The manifest's YAML keys are documented in docs/manifest.md; reading lives in manifest_reader.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/manifest_model_facts.h"
#include "parallel/parallel_layout.h"

namespace motionfarm::coordinator {

// A place in a manifest or in a file it references (a CSV): 1-based line and column, as editors
// count. line == 0 when unknown (then only the file is meaningful).
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", or "file" when the line is unknown.
  std::string to_string() const;
};

bool operator<(const SourcePosition& a, const SourcePosition& b);
bool operator==(const SourcePosition& a, const SourcePosition& b);

struct SamplerSettings {
  std::string name = "unipc";  // "unipc" or "euler"
  int steps = 40;
  double shift = 5.0;     // flow-matching timestep shift
  double guidance = 5.0;  // classifier-free guidance scale; 1.0 switches the unconditional pass off
  // Whether a `guidance:` key (the job's or the asset's) set it. A preset with experts then uses
  // that one scale for every step; without one each expert takes its own from the preset (Wan2.2
  // A14B: i2v 3.5/3.5, t2v 3.0/4.0), as the public code does.
  bool guidance_given = false;
  std::string negative_prompt;
};

// How a clip longer than one segment is chained from several (docs/manifest.md, "Long clips").
struct ExtensionSettings {
  int64_t segment_frames = 0;         // frames each segment generates (4n+1), <= the model's max
  int64_t context_latent_frames = 1;  // latent frames of segment k that condition segment k+1
  bool anchor = true;                 // every segment also sees the asset's original image
  double renoise = 0.0;               // noise strength re-applied to the context frames, in [0, 1]
  bool color_match = false;           // match each segment's colours to the first one's
};

// One segment of an asset's chain. Segment k+1 starts from segment k's last
// `context_frames` frames, so those are generated twice and kept once.
struct SegmentPlan {
  int64_t index = 0;
  int64_t frames = 0;          // frames this segment generates (4n+1)
  int64_t context_frames = 0;  // leading frames shared with the previous segment (0 for the first)
  int64_t first_clip_frame = 0;  // where this segment's new frames start in the final clip
  int64_t new_frames = 0;        // frames it adds to the clip (the last segment may be trimmed)
};

struct AssetSpec {
  std::string id;
  int64_t index = 0;  // position in the expanded asset list, for {index}
  std::string image;  // absolute path; empty only for text-to-video presets
  std::string prompt;
  uint64_t seed = 0;          // in [0, 2^63)
  bool seed_derived = false;  // true when computed from the job seed and the id
  double fps = 16.0;
  int64_t total_frames = 0;  // round(duration × fps), or `frames`
  int64_t width = 0;         // multiples of the model's spatial stride
  int64_t height = 0;
  bool resolution_from_image = false;  // `resolution: auto`
  std::vector<std::string> formats;    // names from io/output_format.h, e.g. "mp4"
  int priority = 0;                    // higher renders first among ready tasks
  int64_t max_frames = 0;
  SamplerSettings sampler;  // with the asset's negative prompt
  ExtensionSettings extension;
  std::vector<SegmentPlan> segments;  // in order; their new_frames add up to total_frames
  SourcePosition source;              // the asset's list item (or CSV row, or glob entry)
};

// Where each deliverable goes: `root` / naming template rendered per asset and format.
struct OutputSettings {
  std::string root;  // absolute
  std::string naming = "{asset}/{asset}_{seed}";
  bool overwrite = false;
};

// Weight files of the model. `weights: /path/release-folder` (or `folder:` in the mapping) names a
// release folder whose files the ranks find by their published names (rank/model_files.h); a
// file given by key replaces that one. `random` is for the tiny-/demo- test presets only.
struct WeightPaths {
  bool random = false;
  std::string release_folder;  // absolute; empty when every file is given
  std::string dit;             // a file, or a folder of shards; empty: from release_folder
  std::string vae;
  std::string text_encoder;
  std::string tokenizer;
  std::string image_encoder;  // only models with CLIP image conditioning (i2v, flf2v) use it
};

struct ModelSettings {
  std::string preset;
  ModelFacts facts;
  WeightPaths weights;
};

struct ResourceSettings {
  int max_attempts = 3;         // tries per task before the asset is marked failed
  double task_timeout_s = 0.0;  // 0: no limit
  int batch_max = 4;            // most same-shape short assets in one forward
  double memory_gib = 0.0;      // per-rank memory budget; 0: measure the device
  // Presets with experts: assets each model group may park between the high- and low-noise
  // phases, i.e. high phases it runs before swapping experts (docs/manifest.md).
  int phase_batch = 8;
};

struct Job {
  std::string name;
  std::string manifest_path;  // absolute
  uint64_t job_seed = 0;
  OutputSettings output;
  ModelSettings model;
  SamplerSettings sampler;                         // the job-wide sampler defaults
  std::optional<parallel::ParallelLayout> layout;  // nullopt: `auto`, chosen at run time
  ResourceSettings resources;
  std::vector<AssetSpec> assets;  // in manifest order
};

}  // namespace motionfarm::coordinator
