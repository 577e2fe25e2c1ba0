#include "report/error_hints.h"

namespace motionfarm::report {

namespace {
bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

std::string error_hint(const std::string& error_type, const std::string& message) {
  // A deliverable in the way is refused before any attempt, so it has no error type.
  if (contains(message, "was not written by this job")) {
    return "Move the existing file away (or set output.overwrite: true), then rerun the same "
           "command: finished assets are kept.";
  }
  if (error_type == "disk-full") {
    return "The disk filled up while writing (the message names the file): free space there, then "
           "rerun the same command; finished work is kept and the asset is rendered again.";
  }
  if (error_type == "output-path") {
    return "The deliverable's folder leads outside output.root (a symlink) or a file is in the "
           "way: remove the link or move the file (the message names it), then rerun.";
  }
  if (error_type == "input") {
    return "The input image could not be read: open it in an image viewer, re-export it as PNG "
           "or JPEG, and rerun the same command (finished assets are kept).";
  }
  if (error_type == "non-finite") {
    return "The sampler produced NaN/Inf values: try another seed or fewer steps for this asset, "
           "and check the weights with `motionfarm model verify`.";
  }
  if (error_type == "out-of-memory" || contains(message, "out of memory")) {
    return "The model group ran out of memory: lower the resolution or segment_frames, or run "
           "with a layout that splits the model (--layout; docs/parallelism.md).";
  }
  if (error_type == "config") {
    return "A setting of this asset cannot work here: run `motionfarm validate` on the manifest "
           "and fix what it reports.";
  }
  if (error_type == "model") {
    return "The model rejected this asset: check the preset and weight files with "
           "`motionfarm model`.";
  }
  if (error_type == "checkpoint") {
    return "A segment's latent file was unreadable: rerun the same command and the segment is "
           "rendered again.";
  }
  return "Every attempt and its error is in STATE_DIR/logs/coordinator.log; rerun the same "
         "command to try failed assets again.";
}

}  // namespace motionfarm::report
