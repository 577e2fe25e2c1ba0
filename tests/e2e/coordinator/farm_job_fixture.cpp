#include "tests/e2e/coordinator/farm_job_fixture.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "io/latent_store.h"
#include "rank/latent_checkpoint.h"
#include "tests/support/test_paths.h"

namespace motionfarm::testing {

namespace fs = std::filesystem;

namespace {
std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TinyJob write_tiny_job(const std::string& folder, const std::vector<TinyAsset>& assets, int steps,
                       const std::string& job_name) {
  fs::create_directories(folder);
  fs::copy_file(shared_dir() + "/assets/girl.png", folder + "/girl.png",
                fs::copy_options::overwrite_existing);
  fs::copy_file(shared_dir() + "/assets/snake.png", folder + "/snake.png",
                fs::copy_options::overwrite_existing);
  // Garbage in the middle of the compressed pixels: the header (all `validate` reads) is whole,
  // decoding fails.
  std::string png = read_bytes(folder + "/girl.png");
  for (size_t i = png.size() / 3; i < png.size() / 3 + 2000; ++i) {
    png[i] = static_cast<char>((static_cast<unsigned char>(png[i]) * 7 + 13) & 0xff);
  }
  std::ofstream(folder + "/corrupt.png", std::ios::binary) << png;

  std::ostringstream yaml;
  yaml << "job: " << job_name << "\nseed: 11\noutput: {root: out}\n"
       << "model: {preset: demo-i2v, weights: random}\n"
       << "sampler: {steps: " << steps << ", shift: 3.0, guidance: 4.0}\n"
       << "defaults:\n  fps: 8\n  resolution: 64x64\n  extension: {segment_frames: 5}\n"
       << "assets:\n";
  for (const TinyAsset& a : assets) {
    yaml << "  - {id: " << a.id << ", image: " << a.image << ", prompt: \"" << a.prompt
         << "\", frames: " << a.frames << "}\n";
  }
  std::ofstream(folder + "/job.yaml") << yaml.str();
  return {folder, folder + "/job.yaml", folder + "/state", folder + "/out"};
}

std::string farm_environment() {
  return "MOTIONFARM_DEMO_CACHE=" MOTIONFARM_TEST_DEMO_CACHE
         " OMP_NUM_THREADS=1 MOTIONFARM_TORCH_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 "
         "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none "
         "OMPI_MCA_rmaps_base_oversubscribe=1 ";
}

std::map<std::string, std::string> finished_segment_latents(const std::string& state) {
  std::map<std::string, std::string> latents;
  const fs::path root = fs::path(state) / "latents";
  if (!fs::exists(root)) return latents;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string path = rank::latent_store_path(entry.path().string());
    if (!fs::exists(path)) continue;
    const io::LatentStore store = io::LatentStore::open_unchecked(path);
    for (int k : store.segment_indices()) {
      if (!store.has_complete_segment(k)) continue;
      const at::Tensor latent = store.read_segment(k).contiguous();
      latents[entry.path().filename().string() + "/segment_" + std::to_string(k)] =
          std::string(static_cast<const char*>(latent.data_ptr()), latent.nbytes());
    }
  }
  return latents;
}

int64_t ledger_integer(const std::string& state, const std::string& sql) {
  coordinator::SqliteDatabase db(coordinator::JobLedger::path_in(state),
                                 coordinator::SqliteDatabase::Mode::kReadOnly);
  coordinator::SqliteStatement query = db.prepare(sql);
  return query.step() ? query.column_int(0) : 0;
}

int64_t ledger_or_zero(const std::string& state, const std::string& sql) {
  if (!std::filesystem::exists(coordinator::JobLedger::path_in(state))) return 0;
  try {
    return ledger_integer(state, sql);
  } catch (const std::exception&) {
    return 0;  // the ledger is being created
  }
}

CommandResult run_job(const TinyJob& job, const std::string& extra) {
  return run_command(farm_environment() + MOTIONFARM_BINARY + " run " + shell_quote(job.manifest) +
                     " --state-dir " + shell_quote(job.state) + " " + extra + " 2>&1");
}

}  // namespace motionfarm::testing
