// libFuzzer target: the manifest reader and validator (coordinator/manifest_reader.h), as
// `motionfarm validate` runs it.
//
// The input is the manifest's text; if it contains a line "#csv", what follows that line is also
// written as `assets.csv` beside the manifest, so one input can drive both the YAML and the CSV
// reader (`- csv: assets.csv`). The folder also holds a 16x16 PNG, `plate.png` and
// `plates/p1.png`, for image:, glob: and resolution: auto to find. Weights need not exist (a
// missing one is a diagnostic like any other).
//
// read_manifest must never throw: every problem is a diagnostic. A report that says the job can
// run must hold at least one asset, each with positive frames, size and segments.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include "coordinator/manifest_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using motionfarm::fuzz::invariant_failed;

// A 16x16 RGB PNG.
constexpr uint8_t kPlatePng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x91, 0x68,
    0x36, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68, 0x70, 0x50, 0x20,
    0x09, 0x31, 0x8c, 0x6a, 0x18, 0xd5, 0x30, 0x7c, 0x35, 0x00, 0x00, 0x77, 0x29, 0xe0, 0x01, 0x80,
    0x21, 0x3f, 0x04, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

void check_report(const motionfarm::coordinator::ManifestReport& report) {
  if (!report.can_run()) return;
  if (report.job.assets.empty()) invariant_failed("a runnable job without assets");
  for (const auto& asset : report.job.assets) {
    if (asset.id.empty()) invariant_failed("a runnable asset without an id");
    if (asset.total_frames < 1 || asset.total_frames > asset.max_frames) {
      invariant_failed("asset " + asset.id + " has frames outside 1..max_frames");
    }
    if (asset.width <= 0 || asset.height <= 0) {
      invariant_failed("asset " + asset.id + " has no size");
    }
    if (asset.segments.empty()) invariant_failed("asset " + asset.id + " has no segments");
    if (asset.formats.empty()) invariant_failed("asset " + asset.id + " has no formats");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string& dir = motionfarm::fuzz::scratch_dir();
  std::filesystem::create_directories(dir + "/plates");
  motionfarm::fuzz::write_scratch_file("plate.png", kPlatePng, sizeof(kPlatePng));
  motionfarm::fuzz::write_scratch_file("plates/p1.png", kPlatePng, sizeof(kPlatePng));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t marker = input.find("\n#csv\n");
  const std::string manifest = marker == std::string::npos ? input : input.substr(0, marker + 1);
  const std::string csv = marker == std::string::npos ? "" : input.substr(marker + 6);
  const std::string path = motionfarm::fuzz::write_scratch_file("manifest.yaml", manifest);
  motionfarm::fuzz::write_scratch_file("assets.csv", csv);

  motionfarm::coordinator::ManifestOptions options;
  options.world_size = 8;
  options.date = "2025-01-31";
  try {
    check_report(motionfarm::coordinator::read_manifest(path, options));
  } catch (const std::exception& error) {
    invariant_failed(std::string("read_manifest threw: ") + error.what());
  }
  return 0;
}
