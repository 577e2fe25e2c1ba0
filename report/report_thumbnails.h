// The small review images report.html shows, made once and kept in `<output root>/report-assets/`:
//   - the input image of every failed asset (and of a finished one whose clip gives no poster),
//     scaled down from the original, which may be a 4K PNG that no page should load 1,000 times;
//   - a poster frame (the middle frame) and a contact sheet of every finished clip, decoded from
//     the clip itself (the farm writes the clip only).
// Each file's name carries a checksum of its source, so a re-rendered clip gets new thumbnails
// and an unchanged one is never decoded again; the refresh during a job only pays for the assets
// finished since the last one. A source that cannot be decoded (a corrupt image) leaves a small
// ".failed" note with the reason, so it is not retried at every refresh.
#pragma once

#include <string>

#include "report/job_report.h"

namespace motionfarm::report {

struct ThumbnailOptions {
  int image_width = 240;   // input-image thumbnails
  int poster_width = 320;  // poster frames
  int sheet_frames = 8;    // contact sheet: frames, columns and the width of each
  int sheet_columns = 4;
  int sheet_frame_width = 160;
  int jpeg_quality = 85;
  bool make_missing = true;  // false: link only the thumbnails already made (a quick report)
  int threads = 1;           // assets thumbnailed at once (the refresher in a running job keeps 1)

  // Throws ConfigError naming the bad field.
  void validate() const;
};

struct ThumbnailCounts {
  int made = 0;
  int reused = 0;
  int failed = 0;  // sources that could not be decoded (now or at an earlier refresh)
};

// The folder the thumbnails go to: `<output_root>/report-assets`.
std::string thumbnail_folder(const std::string& output_root);

// Fills image_thumbnail / poster / contact_sheet (relative to report.output_root) of every asset
// that needs them, making the missing ones. One asset's bad source never stops the others: its
// reason goes into preview_problem. Throws Error only when the folder cannot be created.
ThumbnailCounts prepare_thumbnails(JobReport& report, const ThumbnailOptions& options = {});

}  // namespace motionfarm::report
