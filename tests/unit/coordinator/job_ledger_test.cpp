// The job ledger (SQLite, WAL) and resume: what a rerun keeps, redoes and refuses.
#include "coordinator/job_ledger.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "coordinator/asset_plan.h"
#include "coordinator/job_status.h"
#include "coordinator/resume.h"
#include "coordinator/sqlite_database.h"
#include "core/error.h"
#include "io/latent_store.h"
#include "rank/latent_checkpoint.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

namespace fs = std::filesystem;

Job two_segment_job(const std::string& root) {
  Job job;
  job.name = "ledger-test";
  job.output.root = root + "/out";
  job.model.preset = "demo-i2v";
  job.model.weights.random = true;
  AssetSpec asset;
  asset.id = "fox";
  asset.image = testing::shared_dir() + "/assets/girl.png";
  asset.prompt = "a fox runs";
  asset.seed = 7;
  asset.width = 64;
  asset.height = 64;
  asset.total_frames = 9;
  asset.formats = {"mp4"};
  asset.segments = {{0, 5, 0, 0, 5}, {1, 5, 1, 5, 4}};
  job.assets.push_back(asset);
  return job;
}

struct Fixture {
  testing::ScratchDir dir{"ledger"};
  std::string state = dir.path() + "/state";
  Job job = two_segment_job(dir.path());

  std::vector<AssetPlan> plans() const { return {plan_asset(job, job.assets[0], "2025-01-01")}; }
  Scheduler scheduler() const { return Scheduler(WorkGraph(work_of_job(job)), 3); }

  // The job's first run: the ledger learns the job, nothing is finished yet.
  void first_run(JobLedger& ledger) const {
    Scheduler first = scheduler();
    reconcile_with_ledger(ledger, job, plans(), state, false, first);
  }

  std::string store_path() const { return rank::latent_store_path(latent_folder(state, "fox")); }

  // Records segment `k` of the asset as finished, with its latents in the asset's latent store
  // (as a worker leaves them).
  void finish_segment(JobLedger& ledger, int64_t k) const {
    const io::LatentStoreIdentity identity =
        rank::latent_store_identity(plans()[0].render, "tiny-i2v");
    io::LatentStore store = rank::open_or_create_latent_store(store_path(), identity);
    store.write_segment(static_cast<int>(k), at::full({1, 16, 2, 4, 4}, static_cast<float>(k)));
    ledger.task_done({task_name("fox", TaskKind::kSegment, k), "fox", "segment", k, "done",
                      store_path(), identity.model_config_hash});
  }
};

TEST(JobLedger, IsAWalDatabaseThatKeepsItsRowsAcrossReopens) {
  Fixture f;
  {
    JobLedger ledger(f.state);
    LedgerAsset asset;
    asset.id = "fox";
    asset.segments = 2;
    ledger.put_asset(asset);
    ledger.set_asset_state("fox", "failed", "corrupt image");
  }
  SqliteDatabase db(JobLedger::path_in(f.state), SqliteDatabase::Mode::kReadOnly);
  SqliteStatement mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  JobLedger again(f.state);
  const auto assets = again.assets();
  ASSERT_EQ(assets.count("fox"), 1u);
  EXPECT_EQ(assets.at("fox").state, "failed");
  EXPECT_EQ(assets.at("fox").error, "corrupt image");
}

TEST(JobLedger, ANewRunClosesAttemptsAKilledRunLeftOpen) {
  Fixture f;
  JobLedger ledger(f.state);
  const int64_t first = ledger.begin_run(4, "cfg=1,tp=1,ulysses=1,ring=1");
  ledger.attempt_started(first, "fox/segment-000", "fox", 1, 0);
  const int64_t second = ledger.begin_run(4, "cfg=1,tp=1,ulysses=1,ring=1");
  EXPECT_GT(second, first);
  SqliteDatabase db(JobLedger::path_in(f.state), SqliteDatabase::Mode::kReadOnly);
  SqliteStatement outcome = db.prepare("SELECT outcome FROM attempts");
  ASSERT_TRUE(outcome.step());
  EXPECT_EQ(outcome.column_text(0), "lost");
}

TEST(JobLedger, StatusReadsWhileTheWriterHoldsTheLedgerOpen) {
  Fixture f;
  JobLedger ledger(f.state);
  ledger.set_job_value("name", "ledger-test");
  const int64_t run = ledger.begin_run(2, "cfg=2");
  LedgerAsset asset;
  asset.id = "fox";
  asset.segments = 2;
  ledger.put_asset(asset);
  asset.id = "owl";
  ledger.put_asset(asset);
  ledger.set_asset_state("owl", "failed", "NaN at sampling step 3");
  ledger.set_group_activity(0, run, "fox/segment-001", 2, 4);
  const JobStatus status = read_job_status(f.state);
  EXPECT_EQ(status.job, "ledger-test");
  EXPECT_TRUE(status.running());
  EXPECT_EQ(status.assets, 2);
  EXPECT_EQ(status.failed, 1);
  EXPECT_EQ(status.pending, 1);
  ASSERT_EQ(status.groups.size(), 1u);
  EXPECT_EQ(status.groups[0].task, "fox/segment-001");
  EXPECT_NE(format_status(status).find("failed owl: NaN at sampling step 3"), std::string::npos);
  EXPECT_NE(status_json(status).find("\"running\": true"), std::string::npos);
}

// A ledger is a file anyone can edit, and its texts are error messages that name files (bytes,
// not always UTF-8). `motionfarm status` must print them, never crash or throw on them (found
// while writing tests/fuzz/ledger_fuzzer: localtime() returned null for a time past the year
// 2^31 and strftime() dereferenced it; JSON refused the Latin-1 byte).
TEST(JobLedger, StatusOfAHostileLedgerPrintsInsteadOfCrashing) {
  Fixture f;
  {
    JobLedger ledger(f.state);
    ledger.set_job_value("name", "ledger-test");
    const int64_t run = ledger.begin_run(2, "cfg=2");
    LedgerAsset asset;
    asset.id = "fox";
    ledger.put_asset(asset);
    ledger.set_asset_state("fox", "failed", "image caf\xe9.png: corrupt PNG");
    ledger.set_group_activity(0, run, "fox/segment-000", 1, 4);
    ledger.attempt_ended(ledger.attempt_started(run, "fox/segment-000", "fox", 1, 0),
                         {"failed", "InputError", "x", 1.0, 1e300});
  }
  {
    SqliteDatabase db(JobLedger::path_in(f.state), SqliteDatabase::Mode::kReadWriteCreate);
    db.execute("UPDATE runs SET started = 1e300, ended = NULL; UPDATE groups SET updated = 9e18;");
  }
  const JobStatus status = read_job_status(f.state);
  ASSERT_TRUE(status.running());
  const std::string text = format_status(status);
  EXPECT_NE(text.find("failed fox: image caf\xe9.png: corrupt PNG"), std::string::npos) << text;
  EXPECT_NE(text.find("attempts 1 (1 failed), ? s in the model forward"), std::string::npos)
      << text;
  EXPECT_NE(text.find("(updated ?)"), std::string::npos) << text;
  EXPECT_NE(text.find("run 1: ? -> -"), std::string::npos) << text;
  const std::string json = status_json(status);
  // The Latin-1 byte becomes U+FFFD; the rest is valid JSON.
  EXPECT_NE(json.find("image caf\xef\xbf\xbd.png: corrupt PNG"), std::string::npos) << json;
  EXPECT_EQ(nlohmann::json::parse(json)["failures"][0]["asset"], "fox");
}

// A state folder whose ledger.sqlite is not a database (a copy cut short, a file of another
// tool): status and a rerun both stop with an error that names the file.
TEST(JobLedger, AFileThatIsNotALedgerIsAnErrorNamingIt) {
  Fixture f;
  fs::create_directories(f.state);
  std::ofstream(JobLedger::path_in(f.state)) << std::string(4096, 'x');
  for (const auto& open : std::vector<std::function<void()>>{[&] { read_job_status(f.state); },
                                                             [&] { JobLedger ledger(f.state); }}) {
    try {
      open();
      ADD_FAILURE() << "a file of 'x' opened as a ledger";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(JobLedger::path_in(f.state)), std::string::npos)
          << error.what();
      EXPECT_NE(std::string(error.what()).find("file is not a database"), std::string::npos)
          << error.what();
    }
  }
}

TEST(Resume, KeepsFinishedSegmentsWhoseFilesAreIntact) {
  Fixture f;
  JobLedger ledger(f.state);
  f.first_run(ledger);
  f.finish_segment(ledger, 0);
  Scheduler rerun = f.scheduler();
  const ResumeSummary summary =
      reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, rerun);
  EXPECT_EQ(summary.segments_kept, 1);
  const auto next = rerun.next_task();
  ASSERT_TRUE(next);
  EXPECT_EQ(rerun.graph().tasks()[*next].name, "fox/segment-001");
}

TEST(Resume, RedoesEverySegmentOfATruncatedLatentStoreNamingWhy) {
  Fixture f;
  JobLedger ledger(f.state);
  f.first_run(ledger);
  f.finish_segment(ledger, 0);
  f.finish_segment(ledger, 1);
  std::filesystem::resize_file(f.store_path(), std::filesystem::file_size(f.store_path()) / 2);
  Scheduler rerun = f.scheduler();
  const ResumeSummary summary =
      reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, rerun);
  EXPECT_EQ(summary.segments_kept, 0);
  ASSERT_EQ(summary.recomputed.size(), 1u);  // the chain stops at the first unusable segment
  EXPECT_NE(summary.recomputed[0].find("asset 'fox' segment 0: "), std::string::npos)
      << summary.recomputed[0];
  EXPECT_NE(summary.recomputed[0].find("latents.h5"), std::string::npos) << summary.recomputed[0];
  EXPECT_EQ(rerun.graph().tasks()[*rerun.next_task()].name, "fox/segment-000");
  EXPECT_TRUE(ledger.done_tasks().empty());
}

TEST(Resume, RedoesASegmentMissingFromTheStoreOrWrittenForOtherSettings) {
  Fixture f;
  JobLedger ledger(f.state);
  f.first_run(ledger);
  f.finish_segment(ledger, 0);
  f.finish_segment(ledger, 1);
  {
    io::LatentStore store = io::LatentStore::open_unchecked(f.store_path());
    store.discard_segment(1);
  }
  Scheduler rerun = f.scheduler();
  ResumeSummary summary = reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, rerun);
  EXPECT_EQ(summary.segments_kept, 1);
  ASSERT_EQ(summary.recomputed.size(), 1u);
  EXPECT_NE(summary.recomputed[0].find("has no finished segment 1"), std::string::npos)
      << summary.recomputed[0];

  // The ledger says segment 0 was written for other settings than the store holds.
  LedgerTask task = ledger.done_tasks().at("fox/segment-000");
  task.checksum = "0123";
  ledger.task_done(task);
  Scheduler third = f.scheduler();
  summary = reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, third);
  ASSERT_EQ(summary.recomputed.size(), 1u);
  EXPECT_NE(summary.recomputed[0].find("was written for other settings"), std::string::npos)
      << summary.recomputed[0];
  EXPECT_EQ(third.graph().tasks()[*third.next_task()].name, "fox/segment-000");
}

// The same job on a two-expert preset: each segment is a high-noise phase that parks the asset's
// sampling state at the switch step and a low-noise phase that finishes it.
Job two_expert_job(const std::string& root) {
  Job job = two_segment_job(root);
  job.model.facts.experts = {{"high_noise", "high_noise_model", 0.900},
                             {"low_noise", "low_noise_model", 0.0}};
  return job;
}

TEST(Resume, AParkedHighPhaseIsKeptWhileTheStoreHoldsItsStateAtTheSwitch) {
  Fixture f;
  f.job = two_expert_job(f.dir.path());
  JobLedger ledger(f.state);
  f.first_run(ledger);
  const WorkGraph graph(work_of_job(f.job));
  const TaskNode& high = graph.tasks()[0];
  ASSERT_EQ(high.name, "fox/segment-000/high_noise");
  ASSERT_TRUE(high.parks_asset());
  const io::LatentStoreIdentity identity =
      rank::latent_store_identity(f.plans()[0].render, "tiny-i2v");
  auto park_at = [&](int64_t step) {
    io::LatentStore store = rank::open_or_create_latent_store(f.store_path(), identity);
    io::SamplingState state;
    state.sampler = "unipc";
    state.num_steps = f.job.assets[0].sampler.steps;
    state.shift = f.job.assets[0].sampler.shift;
    state.step_index = step;
    state.latent = at::zeros({1, 16, 2, 4, 4});
    store.write_state(0, state);
  };
  park_at(high.end_step);
  ledger.task_done(
      {high.name, "fox", "phase", 0, "done", f.store_path(), identity.model_config_hash});
  Scheduler rerun = f.scheduler();
  ResumeSummary summary = reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, rerun);
  EXPECT_TRUE(summary.recomputed.empty());
  EXPECT_EQ(summary.segments_kept, 0);  // a parked phase finishes no segment
  EXPECT_TRUE(rerun.parked(0));
  EXPECT_EQ(rerun.graph().tasks()[*rerun.next_task()].name, "fox/segment-000/low_noise");

  // A store whose state is from before the switch (the phase's own progress, not its end) does
  // not hold what the low-noise phase needs: the high-noise phase is redone.
  park_at(high.end_step - 1);
  Scheduler third = f.scheduler();
  summary = reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, third);
  ASSERT_EQ(summary.recomputed.size(), 1u);
  EXPECT_NE(summary.recomputed[0].find("(fox/segment-000/high_noise)"), std::string::npos)
      << summary.recomputed[0];
  EXPECT_NE(summary.recomputed[0].find("holds no state of segment 0 at step " +
                                       std::to_string(high.end_step + 1)),
            std::string::npos)
      << summary.recomputed[0];
  EXPECT_EQ(third.graph().tasks()[*third.next_task()].name, "fox/segment-000/high_noise");
}

TEST(JobLedger, CountsExpertLoadsPerRunAndAnOlderLedgerGainsTheTable) {
  Fixture f;
  {
    JobLedger ledger(f.state);
    ledger.begin_run(1, "cfg=1,tp=1,ulysses=1,ring=1");
  }
  {
    // A ledger written before expert loads were recorded.
    SqliteDatabase db(JobLedger::path_in(f.state), SqliteDatabase::Mode::kReadWriteCreate);
    db.execute("DROP TABLE expert_loads");
  }
  JobLedger ledger(f.state);
  const int64_t run = ledger.begin_run(1, "cfg=1,tp=1,ulysses=1,ring=1");
  ledger.expert_loaded({run, 0, "high_noise", "fox/segment-000/high_noise", 13.5});
  ledger.expert_loaded({run, 0, "low_noise", "fox/segment-000/low_noise", 13.0});
  ledger.expert_loaded({run + 1, 0, "high_noise", "fox/segment-001/high_noise", 12.0});
  EXPECT_EQ(ledger.expert_loads(run), 2);
  EXPECT_EQ(ledger.expert_loads(), 3);
  SqliteDatabase db(JobLedger::path_in(f.state), SqliteDatabase::Mode::kReadOnly);
  SqliteStatement seconds = db.prepare("SELECT SUM(seconds) FROM expert_loads WHERE run_id = ?1");
  seconds.bind(1, run);
  ASSERT_TRUE(seconds.step());
  EXPECT_DOUBLE_EQ(seconds.column_double(0), 26.5);
}

TEST(Resume, AChangedPromptIsRefusedNamingItUnlessForced) {
  Fixture f;
  JobLedger ledger(f.state);
  f.first_run(ledger);
  f.finish_segment(ledger, 0);
  f.job.assets[0].prompt = "a fox sleeps";
  Scheduler refused = f.scheduler();
  try {
    reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, refused);
    FAIL() << "a changed prompt with finished work must be refused";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("asset 'fox'"), std::string::npos) << message;
    EXPECT_NE(message.find("prompt changed; its 1 finished segment would be redone"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
  }
  EXPECT_EQ(ledger.done_tasks().size(), 1u);  // refused: nothing forgotten

  Scheduler forced = f.scheduler();
  const ResumeSummary summary =
      reconcile_with_ledger(ledger, f.job, f.plans(), f.state, true, forced);
  ASSERT_EQ(summary.redone.size(), 1u);
  EXPECT_TRUE(ledger.done_tasks().empty());
  EXPECT_FALSE(fs::exists(latent_folder(f.state, "fox")));
  EXPECT_EQ(forced.graph().tasks()[*forced.next_task()].name, "fox/segment-000");
}

TEST(Resume, AnOutputThisJobDidNotWriteIsNeverOverwritten) {
  Fixture f;
  const std::string clip = f.plans()[0].render.deliverables[0].path;
  fs::create_directories(fs::path(clip).parent_path());
  std::ofstream(clip) << "someone else's clip";
  JobLedger ledger(f.state);
  Scheduler scheduler = f.scheduler();
  const ResumeSummary summary =
      reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, scheduler);
  ASSERT_EQ(summary.blocked_outputs.size(), 1u);
  EXPECT_EQ(scheduler.asset_state(0), AssetState::kFailed);
  EXPECT_NE(scheduler.asset_error(0).find("output.overwrite"), std::string::npos);

  // A path the ledger claimed is the job's own (a run killed after writing it).
  ledger.claim_output(clip, "fox", "mp4");
  Scheduler rerun = f.scheduler();
  EXPECT_TRUE(reconcile_with_ledger(ledger, f.job, f.plans(), f.state, false, rerun)
                  .blocked_outputs.empty());
  EXPECT_EQ(rerun.asset_state(0), AssetState::kPending);
}

}  // namespace
}  // namespace motionfarm::coordinator
