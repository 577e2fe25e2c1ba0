// summary.json: the schema name first, the counts and totals the page shows, failures first with
// their hints, and user text as plain JSON strings (not HTML-escaped).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/report_json.h"
#include "report/report_totals.h"
#include "tests/unit/report/report_fixture.h"

namespace motionfarm::report {
namespace {

using nlohmann::json;

json summary_of(const JobReport& report) {
  return json::parse(render_summary_json(report, compute_totals(report)));
}

TEST(ReportJson, StartsWithTheSchemaName) {
  const JobReport report = test::sample_report();
  const std::string text = render_summary_json(report, compute_totals(report));
  EXPECT_EQ(text.rfind("{\n  \"schema\": \"motionfarm.report/1\",", 0), 0u) << text.substr(0, 80);
}

TEST(ReportJson, CountsAndTotals) {
  const json s = summary_of(test::sample_report());
  EXPECT_EQ(s["counts"],
            (json{{"assets", 5}, {"done", 2}, {"failed", 1}, {"running", 1}, {"pending", 1}}));
  EXPECT_EQ(s["running"], false);
  EXPECT_TRUE(s["running_since"].is_null());
  EXPECT_DOUBLE_EQ(s["time"]["wall_seconds"].get<double>(), 5400.0);
  EXPECT_DOUBLE_EQ(s["time"]["gpu_hours"].get<double>(), 20.0);  // 1 h x 16 + 0.5 h x 8
  EXPECT_NEAR(s["time"]["clips_per_hour"].get<double>(), 2.0 / 1.5, 1e-12);
  EXPECT_NEAR(s["time"]["frames_per_second"].get<double>(), (81.0 + 49.0) / 5400.0, 1e-12);
  EXPECT_EQ(s["time"]["stages_seconds"],
            (json{{"dit_forward", 300.0}, {"segment_other", 60.0}, {"assembly", 40.0}}));
  EXPECT_EQ(s["layouts"].size(), 2u);
  EXPECT_EQ(s["versions"]["motionfarm"], "0.1.0 (abc1234)");
  EXPECT_EQ(s["runs"].size(), 2u);
  EXPECT_EQ(s["runs"][0]["exit_code"], 75);
}

TEST(ReportJson, FailuresFirstWithTheirHints) {
  const json s = summary_of(test::sample_report());
  ASSERT_EQ(s["failures"].size(), 1u);
  const json& failure = s["failures"][0];
  EXPECT_EQ(failure["id"], "bad<1>");
  EXPECT_EQ(failure["error"], "image /plates/\"bad\".png: corrupt <png> data & more");
  EXPECT_EQ(failure["error_type"], "input");
  EXPECT_NE(failure["hint"].get<std::string>().find("re-export"), std::string::npos);
  EXPECT_EQ(failure["attempts"], 3);
  EXPECT_EQ(failure["thumbnail"], "report-assets/bad_1_/image-y.jpg");
}

TEST(ReportJson, EveryAssetInManifestOrderWithItsFacts) {
  const json s = summary_of(test::sample_report());
  ASSERT_EQ(s["assets"].size(), 5u);
  const json& done = s["assets"][0];
  EXPECT_EQ(done["id"], "done-1");
  EXPECT_EQ(done["status"], "done");
  EXPECT_EQ(done["prompt"], "she turns & smiles");
  EXPECT_EQ(done["seed"], "42");
  EXPECT_DOUBLE_EQ(done["duration_seconds"].get<double>(), 81.0 / 16.0);
  EXPECT_DOUBLE_EQ(done["render_seconds"].get<double>(), 125.0);
  EXPECT_EQ(done["outputs"][0]["relative"], "shot%20one/%231.mp4");
  EXPECT_EQ(done["outputs"][0]["path"], "/shots/out/shot one/#1.mp4");
  EXPECT_EQ(done["thumbnails"]["poster"], "report-assets/done-1/poster-x.jpg");
  EXPECT_TRUE(done["thumbnails"]["image"].is_null());
  EXPECT_FALSE(done.contains("error"));
  EXPECT_EQ(s["assets"][1]["prompt"], "<script>alert('prompt')</script>");
  EXPECT_EQ(s["assets"][3]["status"], "running");
  EXPECT_EQ(s["assets"][3]["activity"], "segment-000 step 12/40");
}

TEST(ReportJson, InvalidUtf8InAPromptIsReplacedNotFatal) {
  JobReport report = test::sample_report();
  report.assets[0].prompt = "caf\xe9 (Latin-1)";
  const json s = summary_of(report);
  EXPECT_EQ(s["assets"][0]["prompt"], "caf\xef\xbf\xbd (Latin-1)");  // U+FFFD
}

TEST(ReportJson, ARunningJobSaysSinceWhen) {
  JobReport report = test::sample_report();
  report.runs.back().ended = 0.0;
  const json s = summary_of(report);
  EXPECT_EQ(s["running"], true);
  EXPECT_DOUBLE_EQ(s["running_since"].get<double>(), 1'700'004'000.0);
  EXPECT_EQ(s["running_since_iso"], "2023-11-14T23:20:00Z");
  // The running run counts up to the moment the report was made.
  EXPECT_DOUBLE_EQ(s["time"]["wall_seconds"].get<double>(), 3600.0 + 6000.0);
}

}  // namespace
}  // namespace motionfarm::report
