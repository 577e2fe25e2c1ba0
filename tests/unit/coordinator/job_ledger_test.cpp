// The job ledger (SQLite, WAL) and resume: what a rerun keeps, redoes and refuses.
#include "coordinator/job_ledger.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

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
