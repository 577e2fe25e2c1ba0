// Writes the seed corpora that need the project's own writers: latent stores (io/latent_store.h)
// and job ledgers (coordinator/job_ledger.h). Built with the fuzz targets; scripts/fuzz does not
// run it, the files it wrote are kept in tests/fuzz/corpus/. To refresh them:
//
//   build-fuzz/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "coordinator/job_ledger.h"
#include "coordinator/sqlite_database.h"
#include "io/latent_store.h"

namespace {

namespace fs = std::filesystem;
using namespace motionfarm;

at::Tensor ramp(double tag, at::IntArrayRef shape) {
  int64_t numel = 1;
  for (const int64_t extent : shape) numel *= extent;
  return (at::arange(numel, at::kFloat) * 0.25 + tag).reshape(shape);
}

io::LatentStoreMeta seed_meta() {
  io::LatentStoreMeta meta;
  meta.identity.model_id = "tiny-i2v";
  meta.identity.model_config_hash = "fuzz";
  meta.identity.prompt_hash = "fuzz";
  meta.extra = {{"asset_id", "shot-1"}};
  return meta;
}

io::SamplingState seed_state(int64_t step) {
  io::SamplingState state;
  state.sampler = "unipc";
  state.num_steps = 4;
  state.shift = 3.0;
  state.step_index = step;
  state.latent = ramp(step, {1, 2, 2, 2});
  state.model_outputs.push_back(ramp(10.0 + step, {1, 2, 2, 2}));
  state.last_sample = ramp(-1.0, {1, 2, 2, 2});
  return state;
}

void write_latent_stores(const fs::path& folder) {
  fs::create_directories(folder);
  io::LatentStore::create((folder / "empty.h5").string(), seed_meta());

  auto store = io::LatentStore::create((folder / "segment_and_state.h5").string(), seed_meta());
  store.write_segment(0, ramp(1.0, {1, 2, 2, 2}));
  store.write_state(1, seed_state(2));

  io::LatentStoreOptions compressed;
  compressed.tensors.compression_level = 1;
  compressed.tensors.chunk_bytes = 1024;
  auto gzip = io::LatentStore::create((folder / "gzip_bf16.h5").string(), seed_meta(), compressed);
  gzip.write_segment(0, ramp(2.0, {1, 4, 4, 4}).to(at::kBFloat16));
}

void write_ledger(const fs::path& folder) {
  const fs::path state = fs::temp_directory_path() / "motionfarm-fuzz-seed-ledger";
  fs::remove_all(state);
  {
    coordinator::JobLedger ledger(state.string());
    ledger.set_job_value("name", "fuzz-seed");
    ledger.set_job_value("manifest", "/jobs/fuzz-seed.yaml");
    ledger.set_job_value("output_root", "/renders");
    const int64_t run = ledger.begin_run(2, "cfg=2");
    for (int i = 0; i < 2; ++i) {
      coordinator::LedgerAsset asset;
      asset.id = "shot-" + std::to_string(i);
      asset.index = i;
      asset.segments = 2;
      asset.facts = R"({"frames":17})";
      asset.facts_hash = "f" + std::to_string(i);
      ledger.put_asset(asset);
    }
    ledger.set_asset_state("shot-1", "failed", "image plate.png: corrupt PNG");
    const int64_t attempt = ledger.attempt_started(run, "shot-0/seg000", "shot-0", 1, 0);
    ledger.attempt_ended(attempt, {"done", "", "", 1.5, 1.0});
    ledger.task_done({"shot-0/seg000", "shot-0", "segment", 0, "done", "shot-0.h5", "abc"});
    ledger.claim_output("/renders/shot-0.mp4", "shot-0", "mp4");
    ledger.output_written({"/renders/shot-0.mp4", "shot-0", "mp4", "written", 1234, "def"});
    ledger.set_group_activity(0, run, "shot-1/seg000", 2, 4);
    ledger.end_run(run, 3, "1 failed");
  }
  // Small pages and no WAL, so the seed is a few KiB and a single file.
  {
    coordinator::SqliteDatabase db(coordinator::JobLedger::path_in(state.string()),
                                   coordinator::SqliteDatabase::Mode::kReadWriteCreate);
    db.execute("PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;");
  }
  fs::create_directories(folder);
  fs::copy_file(coordinator::JobLedger::path_in(state.string()), folder / "small_job.sqlite",
                fs::copy_options::overwrite_existing);
  fs::remove_all(state);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  write_latent_stores(root / "latent_store");
  write_ledger(root / "ledger");
  return 0;
}
