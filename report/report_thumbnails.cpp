#include "report/report_thumbnails.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>
#include <vector>

#include "core/check.h"
#include "io/image_decoder.h"
#include "io/image_fit.h"
#include "io/staged_output.h"
#include "io/stills.h"
#include "io/video_reader.h"

namespace motionfarm::report {

namespace fs = std::filesystem;

namespace {

constexpr char kFolder[] = "report-assets";

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string hex12(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return std::string(text, 12);
}

// Manifest ids are already file-name safe (validate checks); this guards ledgers made otherwise.
std::string safe_name(const std::string& id) {
  std::string name;
  for (const char c : id) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    name += keep ? c : '_';
  }
  if (name != id || name.empty() || name[0] == '.') name = "_" + name + "-" + hex12(fnv1a64(id));
  return name;
}

// Names a thumbnail after its source: the ledger's checksum when there is one, else the file's
// size and modification time. Empty when the source does not exist.
std::string source_key(const std::string& path, const std::string& checksum) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error) return "";
  std::string identity = path + "|" + checksum;
  if (checksum.empty()) {
    const auto modified = fs::last_write_time(path, error);
    identity += "|" + std::to_string(size) + "|" +
                std::to_string(error ? 0 : modified.time_since_epoch().count());
  }
  return hex12(fnv1a64(identity));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Leaves the reason a source could not be decoded, atomically (a reader never sees half).
void write_failure_note(const fs::path& path, const std::string& reason) {
  io::StagedOutput staging(path.string(), /*is_folder=*/false);
  {
    std::ofstream out(staging.temporary_path());
    out << reason;
  }
  staging.commit();
}

// Removes the folder's files of one kind ("image-", "clip-"...) but `keep_key`'s: thumbnails of
// an older version of the source.
void remove_other_versions(const fs::path& folder, const std::vector<std::string>& prefixes,
                           const std::string& keep_key) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    for (const std::string& prefix : prefixes) {
      if (name.rfind(prefix, 0) == 0 && name.find(keep_key) == std::string::npos) {
        fs::remove(entry.path(), error);
      }
    }
  }
}

int64_t even_at_least_2(double value) {
  return std::max<int64_t>(2, static_cast<int64_t>(std::llround(value / 2.0)) * 2);
}

void make_image_thumbnail(const std::string& image, const fs::path& target,
                          const ThumbnailOptions& options) {
  const at::Tensor pixels = io::decode_image(image).pixels;  // [3, H, W] in [-1, 1]
  const int64_t width =
      even_at_least_2(std::min<double>(options.image_width, double(pixels.size(2))));
  const int64_t height = even_at_least_2(double(width) * pixels.size(1) / pixels.size(2));
  io::StillOptions still;
  still.jpeg_quality = options.jpeg_quality;
  io::write_still(io::resize_image(pixels, height, width), target.string(), still);
}

// The poster (middle frame) and the contact sheet of `clip`, in one decoding pass.
void make_clip_stills(const std::string& clip, const fs::path& poster, const fs::path& sheet_path,
                      const ThumbnailOptions& options) {
  io::VideoReaderOptions reading;
  reading.width = options.poster_width;
  reading.shrink_only = true;  // a clip smaller than the poster is shown at its own size
  io::VideoReader reader(clip, reading);
  const io::VideoInfo& info = reader.info();
  MF_CHECK(info.frames > 0, InputError, "clip " << clip << " holds no frames");
  io::ContactSheetOptions sheet_options;
  sheet_options.frame_count = options.sheet_frames;
  sheet_options.columns = options.sheet_columns;
  sheet_options.thumbnail_width = static_cast<int>(
      std::min<int64_t>(options.sheet_frame_width, std::max<int64_t>(16, info.width)));
  sheet_options.label_scale = 1;
  io::ContactSheet sheet(info.frames, info.width, info.height, sheet_options);
  const int64_t poster_index = info.frames / 2;
  // Only the frames on the sheet and the poster are converted; the others are decoded (each is a
  // reference for the next) and handed to the sheet as a placeholder of the right shape that it
  // never reads (it keeps the frames it chose only).
  std::vector<int64_t> wanted = sheet.frame_indices();
  wanted.push_back(poster_index);
  wanted.push_back(info.frames);  // the end: skip to it, so the sheet has seen every frame
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  const at::Tensor placeholder = at::zeros({1, 3, 1, 1});
  std::optional<at::Tensor> poster_frame;
  int64_t next = 0;
  for (const int64_t index : wanted) {
    if (index > next) {
      const int64_t skipped = reader.skip_frames(index - next);
      if (skipped > 0) sheet.add_frames(placeholder.expand({skipped, 3, info.height, info.width}));
      next += skipped;
      if (next < index) break;  // the clip ended early
    }
    if (index == info.frames) break;
    const at::Tensor frame = reader.read_frames(1);  // [1, 3, H, W]
    if (frame.size(0) == 0) break;
    sheet.add_frames(frame);
    if (index == poster_index) poster_frame = frame[0];
    ++next;
  }
  MF_CHECK(poster_frame.has_value(), InputError,
           "clip " << clip << " ended after " << next << " of " << info.frames << " frames");
  io::StillOptions still;
  still.jpeg_quality = options.jpeg_quality;
  io::write_still(*poster_frame, poster.string(), still);
  if (sheet.complete()) sheet.write(sheet_path.string(), still);
}

// The clip the stills are made from: a written video the FFmpeg decoders read, smallest first.
const ReportOutput* still_source(const ReportAsset& asset) {
  static const char* kPreferred[] = {"mp4",        "webm",       "av1-webm", "av1-mp4",
                                     "nvenc-h264", "nvenc-hevc", "prores",   "gif"};
  for (const char* format : kPreferred) {
    for (const ReportOutput& output : asset.outputs) {
      if (output.format == format) return &output;
    }
  }
  return nullptr;
}

class ThumbnailMaker {
 public:
  ThumbnailMaker(const std::string& output_root, const ThumbnailOptions& options)
      : root_(output_root), folder_(fs::path(output_root) / kFolder), options_(options) {}

  void image(ReportAsset& asset) {
    if (asset.image.empty()) return;
    const std::string key = source_key(asset.image, asset.image_checksum);
    if (key.empty()) {
      asset.preview_problem = "the input image " + asset.image + " is not there";
      return;
    }
    const fs::path folder = asset_folder(asset);
    const fs::path target = folder / ("image-" + key + ".jpg");
    const fs::path failed = folder / ("image-" + key + ".failed");
    if (produce(folder, {"image-"}, key, target, failed, asset,
                [&] { make_image_thumbnail(asset.image, target, options_); })) {
      asset.image_thumbnail = relative(target);
    }
  }

  // True when the poster exists (made now or before).
  bool clip(ReportAsset& asset) {
    const ReportOutput* source = still_source(asset);
    if (source == nullptr) return false;
    const std::string key = source_key(source->path, source->checksum);
    if (key.empty()) {
      asset.preview_problem = "the clip " + source->path + " is not there";
      return false;
    }
    const fs::path folder = asset_folder(asset);
    const fs::path poster = folder / ("poster-" + key + ".jpg");
    const fs::path sheet = folder / ("sheet-" + key + ".jpg");
    const fs::path failed = folder / ("clip-" + key + ".failed");
    if (!produce(folder, {"poster-", "sheet-", "clip-"}, key, poster, failed, asset,
                 [&] { make_clip_stills(source->path, poster, sheet, options_); })) {
      return false;
    }
    asset.poster = relative(poster);
    if (fs::exists(sheet)) asset.contact_sheet = relative(sheet);
    return true;
  }

  const ThumbnailCounts& counts() const { return counts_; }

 private:
  fs::path asset_folder(const ReportAsset& asset) const { return folder_ / safe_name(asset.id); }

  std::string relative(const fs::path& file) const {
    return file.lexically_relative(fs::path(root_)).generic_string();
  }

  // Makes `target` with `make` unless it (or the failure note of the same source) is there.
  template <class Make>
  bool produce(const fs::path& folder, const std::vector<std::string>& prefixes,
               const std::string& key, const fs::path& target, const fs::path& failed,
               ReportAsset& asset, Make make) {
    if (fs::exists(target)) {
      ++counts_.reused;
      return true;
    }
    if (fs::exists(failed)) {
      ++counts_.failed;
      asset.preview_problem = read_text(failed);
      return false;
    }
    if (!options_.make_missing) return false;
    fs::create_directories(folder);
    remove_other_versions(folder, prefixes, key);
    try {
      make();
      ++counts_.made;
      return true;
    } catch (const std::exception& error) {
      ++counts_.failed;
      asset.preview_problem = error.what();
      write_failure_note(failed, asset.preview_problem);
      return false;
    }
  }

  std::string root_;
  fs::path folder_;
  ThumbnailOptions options_;
  ThumbnailCounts counts_;
};

}  // namespace

void ThumbnailOptions::validate() const {
  MF_CHECK(image_width >= 16 && image_width <= 4096, ConfigError,
           "thumbnail image_width " << image_width << " is outside 16..4096");
  MF_CHECK(poster_width >= 16 && poster_width <= 4096, ConfigError,
           "thumbnail poster_width " << poster_width << " is outside 16..4096");
  MF_CHECK(sheet_frames >= 1 && sheet_frames <= 64, ConfigError,
           "thumbnail sheet_frames " << sheet_frames << " is outside 1..64");
  MF_CHECK(sheet_columns >= 1 && sheet_columns <= 16, ConfigError,
           "thumbnail sheet_columns " << sheet_columns << " is outside 1..16");
  MF_CHECK(sheet_frame_width >= 16 && sheet_frame_width <= 1024, ConfigError,
           "thumbnail sheet_frame_width " << sheet_frame_width << " is outside 16..1024");
  MF_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100, ConfigError,
           "thumbnail jpeg_quality " << jpeg_quality << " is outside 1..100");
  MF_CHECK(threads >= 1 && threads <= 256, ConfigError,
           "thumbnail threads " << threads << " is outside 1..256");
}

std::string thumbnail_folder(const std::string& output_root) {
  return (fs::path(output_root) / kFolder).string();
}

ThumbnailCounts prepare_thumbnails(JobReport& report, const ThumbnailOptions& options) {
  options.validate();
  fs::create_directories(thumbnail_folder(report.output_root));
  // Workers take the next asset from a shared counter; each asset has its own folder, so they
  // never touch the same files.
  std::atomic<size_t> next{0};
  const auto work = [&](ThumbnailMaker& maker) {
    for (size_t i = next++; i < report.assets.size(); i = next++) {
      ReportAsset& asset = report.assets[i];
      if (asset.status == AssetStatus::kFailed) {
        maker.image(asset);
      } else if (asset.status == AssetStatus::kDone && !maker.clip(asset)) {
        maker.image(asset);  // no poster: the input image stands in for the clip
      }
    }
  };
  std::vector<ThumbnailMaker> makers(size_t(options.threads),
                                     ThumbnailMaker(report.output_root, options));
  std::vector<std::exception_ptr> errors(makers.size());
  std::vector<std::thread> workers;
  for (size_t w = 1; w < makers.size(); ++w) {
    workers.emplace_back([&, w] {
      try {
        work(makers[w]);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  try {
    work(makers[0]);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  ThumbnailCounts total;
  for (const ThumbnailMaker& maker : makers) {
    total.made += maker.counts().made;
    total.reused += maker.counts().reused;
    total.failed += maker.counts().failed;
  }
  return total;
}

}  // namespace motionfarm::report
