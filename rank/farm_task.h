// The farm's messages between the coordinator and a model group, as plain structs with a JSON
// form (the wire format of farm_channel.h; docs/farm.md documents the protocol).
//
// A task is self-contained: it carries everything the group needs about its asset (image,
// prompt, seed, size, sampler, the segment plan, the deliverables), so a rank never reads the
// manifest and the coordinator alone decides what runs where.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace motionfarm::rank {

// One segment of an asset's chain (coordinator::SegmentPlan, as a rank needs it).
struct SegmentWork {
  int64_t frames = 0;          // frames the segment generates (4n+1)
  int64_t context_frames = 0;  // leading frames shared with the previous segment
  int64_t new_frames = 0;      // frames it adds to the clip
};

struct Deliverable {
  std::string format;  // io/output_format.h name: "mp4", "png", ...
  std::string path;    // absolute final path
  std::string root{};  // the output root `path` must stay inside when written ("": unchecked)
  // Whether a file already at `path` may be replaced: output.overwrite, or the job's own file
  // (the coordinator decides when it assigns the assembly; docs/farm.md).
  bool replace = false;
};

// Everything about one asset that changes what its pixels are, and where they go.
struct AssetRender {
  std::string id;
  std::string image;
  std::string prompt;
  std::string negative_prompt;
  uint64_t seed = 0;
  int64_t width = 0;
  int64_t height = 0;
  double fps = 16.0;
  std::string sampler = "unipc";
  int64_t steps = 40;
  double shift = 5.0;
  // Unset: each expert's own scale from the preset (RenderRequest::guidance).
  std::optional<double> guidance = 5.0;
  bool anchor = true;  // segments after the first keep the original image's CLIP features
  double renoise = 0.0;
  bool color_match = false;
  std::vector<SegmentWork> segments;
  std::vector<Deliverable> deliverables;
};

enum class FarmTaskKind { kSegment, kAssembly };

struct FarmTask {
  int64_t task = -1;  // the coordinator's task index
  std::string name;   // "<asset>/segment-001"
  FarmTaskKind kind = FarmTaskKind::kSegment;
  int64_t segment_index = -1;  // -1 for assembly
  int attempt = 1;             // 1-based, counting failed attempts of this task in this run
  std::string latent_folder;   // where segment_<k>.safetensors files live (state folder)
  // Presets with experts: the expert this task samples with (-1: the preset's only DiT), and its
  // phase of the segment's steps: it resumes at `begin_step` from the state an earlier phase
  // parked in the latent store, and stops before `stop_before_step` (-1: runs to the end and
  // writes the segment's final latents), parking its own state there for the next phase.
  int64_t expert = -1;
  int64_t begin_step = 0;
  int64_t stop_before_step = -1;
  // Test hook (docs/farm.md): the coordinator sets it when MOTIONFARM_TEST_FAIL_FIRST_ATTEMPT
  // names the asset and this is the first attempt of its first task; the group then fails the
  // task on purpose.
  bool fail_on_purpose = false;
  AssetRender asset;
};

// kRequeued: a batch member that did not run because another member failed (farm batching): its
// task goes back to the ready set without using up an attempt.
enum class ReportKind { kReady, kDone, kFailed, kInterrupted, kProgress, kRequeued };
const char* to_string(ReportKind kind);

struct OutputRecord {
  std::string format;
  std::string path;
  int64_t bytes = 0;
  std::string checksum;  // fnv1a64 hex of the file (of the frame files, in order, for png)
};

// Leader -> coordinator. kReady asks for work (also the first message); kDone/kFailed/
// kInterrupted/kRequeued end a task and ask for the next; kProgress (after each sampling step)
// needs no answer and doubles as the group's heartbeat. A batch ends with one report per member,
// in the assignment's order; only the last (batch_remaining 0) asks for the next work.
struct TaskReport {
  ReportKind kind = ReportKind::kReady;
  int group = 0;
  int64_t task = -1;
  int attempt = 0;
  std::string error;            // kFailed: what went wrong; kInterrupted: the step it stopped after
  std::string error_type;       // kFailed: "input", "model", "config", "non-finite", "internal"...
  std::string latent_path;      // segment kDone: the asset's latent store
  std::string latent_checksum;  // segment kDone: the store's settings hash (latent_checkpoint.h)
  int64_t resumed_at_step = 0;  // segment: the step a stored state let it start at (0: none)
  std::vector<OutputRecord> outputs;
  // Wall time of the task on the leader, of which in the DiT forward; a batch member's share of
  // its batch's (the batch's ÷ its members), so sums over tasks are the group's time.
  double seconds = 0.0;
  double forward_seconds = 0.0;
  int64_t step = 0;  // kProgress: steps done
  int64_t steps = 0;
  // Presets with experts: the expert the group loaded for this task (-1: it already held the
  // task's expert, or the task needs none) and how long that took; the expert it holds now.
  int64_t expert_loaded = -1;
  double expert_load_seconds = 0.0;
  int64_t resident_expert = -1;
  int64_t batch_remaining = 0;  // member reports of the same batch still to come
  int64_t batch_size = 1;       // members in the batch this task ran in
};

// Coordinator -> leader: work, or stop (no more work, or the job is stopping). The work is one
// task, or a batch: segment tasks at the same place of assets that share a batch key (one latent
// shape and schedule), sampled together in one forward per step (docs/farm.md "Batching").
struct Assignment {
  bool stop = false;
  std::string stop_reason;
  std::vector<FarmTask> tasks;
};

std::string encode(const Assignment& assignment);
Assignment decode_assignment(const std::string& text);
std::string encode(const TaskReport& report);
TaskReport decode_report(const std::string& text);

}  // namespace motionfarm::rank
