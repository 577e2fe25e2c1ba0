// The report's facts read from a ledger (coordinator/job_report.h) and the refresher that keeps
// report.html current during a run: statuses (running from the groups table), the manifest facts,
// attempts, render time (each task's latest success only), the time per stage, the versions.
#include "coordinator/job_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "coordinator/asset_plan.h"
#include "coordinator/job_ledger.h"
#include "coordinator/report_refresher.h"
#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

namespace fs = std::filesystem;
using report::AssetStatus;

Job three_asset_job(const std::string& root) {
  Job job;
  job.name = "report-test";
  job.output.root = root + "/out";
  job.model.preset = "demo-i2v";
  job.model.weights.random = true;
  for (const char* id : {"fox", "owl", "elk"}) {
    AssetSpec asset;
    asset.id = id;
    asset.index = static_cast<int64_t>(job.assets.size());
    asset.image = testing::shared_dir() + "/assets/girl.png";
    asset.prompt = std::string("a ") + id + " <runs> & \"jumps\"";
    asset.seed = 7;
    asset.width = 832;
    asset.height = 480;
    asset.fps = 16.0;
    asset.total_frames = 81;
    asset.formats = {"mp4"};
    asset.segments = {{0, 81, 0, 0, 81}};
    job.assets.push_back(asset);
  }
  return job;
}

// A ledger as a running job leaves it: fox done (its segment failed once, then was redone with
// --force: two successes, only the latest counts), owl failed, elk being rendered by group 1.
struct Fixture {
  testing::ScratchDir dir{"job-report"};
  std::string state = dir.path() + "/state";
  Job job = three_asset_job(dir.path());
  JobLedger ledger{state};
  int64_t run = 0;

  Fixture() {
    ledger.set_job_value("name", job.name);
    ledger.set_job_value("manifest", dir.path() + "/job.yaml");
    ledger.set_job_value("output_root", job.output.root);
    ledger.set_job_value("motionfarm_version", "9.9.9 (test)");
    run = ledger.begin_run(4, "cfg=2,tp=1,ulysses=1,ring=1");
    for (const AssetSpec& spec : job.assets) {
      const AssetPlan plan = plan_asset(job, spec, "2025-01-01");
      LedgerAsset row;
      row.id = spec.id;
      row.index = spec.index;
      row.segments = 1;
      row.facts = plan.facts_json;
      ledger.put_asset(row);
    }
    attempt("fox/segment-000", "fox", {"failed", "non-finite", "NaN at step 3", 5.0, 4.0});
    attempt("fox/segment-000", "fox", {"done", "", "", 50.0, 40.0});
    attempt("fox/segment-000", "fox", {"done", "", "", 30.0, 20.0});
    attempt("fox/assembly", "fox", {"done", "", "", 7.0, 0.0});
    ledger.task_done({"fox/segment-000", "fox", "segment", 0, "done", "", ""});
    ledger.output_written({job.output.root + "/fox.mp4", "fox", "mp4", "written", 1234, "ab"});
    ledger.set_asset_state("fox", "done", "");
    attempt("owl/segment-000", "owl", {"failed", "input", "image owl.png: corrupt", 1.0, 0.0});
    ledger.set_asset_state("owl", "failed", "owl/segment-000 failed 1 time; last error: corrupt");
    ledger.attempt_started(run, "elk/segment-000", "elk", 1, 1);
    ledger.set_group_activity(1, run, "elk/segment-000", 12, 40);
  }

  void attempt(const std::string& task, const std::string& asset, const AttemptEnd& end) {
    ledger.attempt_ended(ledger.attempt_started(run, task, asset, 1, 0), end);
  }
};

TEST(JobReport, ReadsStatusesFactsAndTimesFromTheLedger) {
  Fixture f;
  const report::JobReport r = read_job_report(f.state);
  EXPECT_EQ(r.job, "report-test");
  EXPECT_EQ(r.output_root, f.job.output.root);
  EXPECT_EQ(r.motionfarm_version, "9.9.9 (test)");
  EXPECT_EQ(r.model, "demo-i2v, weights random");
  EXPECT_TRUE(r.running());
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].world_size, 4);
  EXPECT_GT(r.last_update, 0.0);

  ASSERT_EQ(r.assets.size(), 3u);
  const report::ReportAsset& fox = r.assets[0];
  EXPECT_EQ(fox.id, "fox");
  EXPECT_EQ(fox.status, AssetStatus::kDone);
  EXPECT_EQ(fox.prompt, "a fox <runs> & \"jumps\"");
  EXPECT_EQ(fox.seed, "7");
  EXPECT_EQ(fox.width, 832);
  EXPECT_EQ(fox.height, 480);
  EXPECT_EQ(fox.frames, 81);
  EXPECT_DOUBLE_EQ(fox.fps, 16.0);
  EXPECT_EQ(fox.image, testing::shared_dir() + "/assets/girl.png");
  EXPECT_FALSE(fox.image_checksum.empty());
  EXPECT_EQ(fox.attempts, 4);
  EXPECT_EQ(fox.failed_attempts, 1);
  EXPECT_EQ(fox.segments_done, 1);
  EXPECT_DOUBLE_EQ(fox.render_seconds, 30.0 + 7.0);  // the latest success of each task
  ASSERT_EQ(fox.outputs.size(), 1u);
  EXPECT_EQ(fox.outputs[0].format, "mp4");
  EXPECT_EQ(fox.outputs[0].bytes, 1234);

  const report::ReportAsset& owl = r.assets[1];
  EXPECT_EQ(owl.status, AssetStatus::kFailed);
  EXPECT_EQ(owl.error_type, "input");
  EXPECT_EQ(owl.error, "owl/segment-000 failed 1 time; last error: corrupt");

  const report::ReportAsset& elk = r.assets[2];
  EXPECT_EQ(elk.status, AssetStatus::kRunning);
  EXPECT_EQ(elk.activity, "segment-000 step 12/40");

  ASSERT_EQ(r.stages.size(), 3u);
  EXPECT_EQ(r.stages[0].key, "dit_forward");
  EXPECT_DOUBLE_EQ(r.stages[0].seconds, 4.0 + 40.0 + 20.0);
  EXPECT_EQ(r.stages[1].key, "segment_other");
  EXPECT_DOUBLE_EQ(r.stages[1].seconds, (5.0 + 50.0 + 30.0 + 1.0) - 64.0);
  EXPECT_EQ(r.stages[2].key, "assembly");
  EXPECT_DOUBLE_EQ(r.stages[2].seconds, 7.0);
}

TEST(JobReport, AFolderWithoutALedgerIsAnInputError) {
  testing::ScratchDir dir("job-report");
  EXPECT_THROW(read_job_report(dir.path()), InputError);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ReportRefresher, RewritesTheReportWhileTheJobRunsAndOnceAtTheEnd) {
  Fixture f;
  ReportRefresher refresher(f.state, 0.05);
  const std::string html = f.job.output.root + "/report.html";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (refresher.refreshes() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(refresher.refreshes(), 2);
  EXPECT_NE(read_text(html).find("<strong>Running</strong>: 1 / 3 done"), std::string::npos);

  f.ledger.clear_group_activity();
  f.ledger.end_run(f.run, 4, "1 of 3 assets done, 1 failed");
  EXPECT_EQ(refresher.finish(), html);
  const std::string final_page = read_text(html);
  EXPECT_NE(final_page.find("Finished with failures"), std::string::npos);
  const nlohmann::json summary =
      nlohmann::json::parse(read_text(f.job.output.root + "/summary.json"));
  EXPECT_EQ(summary["running"], false);
  EXPECT_EQ(summary["counts"]["pending"], 1);
}

TEST(ReportRefresher, AnUnwritableOutputRootIsLoggedNotThrown) {
  Fixture f;
  f.ledger.set_job_value("output_root", "/proc/motionfarm-cannot-write-here");
  ReportRefresher refresher(f.state, 10.0);
  EXPECT_EQ(refresher.finish(), "");
}

}  // namespace
}  // namespace motionfarm::coordinator
