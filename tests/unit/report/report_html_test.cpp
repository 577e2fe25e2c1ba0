// report.html as text: user text is escaped everywhere, the failures come before every other
// asset, the counts match, links are relative and encoded, and a page of many assets loads
// nothing it does not show.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "report/report_html.h"
#include "report/report_totals.h"
#include "tests/unit/report/report_fixture.h"

namespace motionfarm::report {
namespace {

std::string page(const JobReport& report) {
  return render_report_html(report, compute_totals(report));
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The ids of the asset cards in page order.
std::vector<std::string> card_ids(const std::string& html) {
  std::vector<std::string> ids;
  const std::regex card("<article class=\"asset [a-z]+\" id=\"asset-([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), card); it != std::sregex_iterator();
       ++it) {
    ids.push_back((*it)[1]);
  }
  return ids;
}

TEST(ReportHtml, EscapesEveryPieceOfUserText) {
  const std::string html = page(test::sample_report());
  EXPECT_EQ(count(html, "<script"), 1u) << "only the page's own script";
  EXPECT_EQ(html.find("alert('prompt')"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;prompt&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<png>"), std::string::npos);
  EXPECT_NE(html.find("corrupt &lt;png&gt; data &amp; more"), std::string::npos);
  EXPECT_NE(html.find("<title>spring &lt;campaign&gt; - motionfarm report</title>"),
            std::string::npos);
  EXPECT_NE(html.find("/plates/&quot;bad&quot;.png"), std::string::npos);
  EXPECT_NE(html.find("id=\"asset-bad&lt;1&gt;\""), std::string::npos);
  // The search text is lower-cased and escaped inside its attribute.
  EXPECT_NE(html.find("data-search=\"bad&lt;1&gt; &lt;script&gt;alert(&#39;prompt&#39;)"),
            std::string::npos);
}

TEST(ReportHtml, FailuresComeBeforeEveryOtherAsset) {
  const std::string html = page(test::sample_report());
  EXPECT_EQ(card_ids(html),
            (std::vector<std::string>{"bad&lt;1&gt;", "done-1", "done-2", "busy", "waiting"}));
  EXPECT_LT(html.find("id=\"failures\""), html.find("id=\"finished\""));
  EXPECT_NE(html.find("What to do"), std::string::npos);    // the hint's label (CSS) is there
  EXPECT_NE(html.find("re-export it"), std::string::npos);  // the input-error hint
}

TEST(ReportHtml, NoFailureSectionWhenNothingFailed) {
  JobReport report = test::sample_report();
  report.assets.erase(report.assets.begin() + 1);
  const std::string html = page(report);
  EXPECT_EQ(html.find("id=\"failures\""), std::string::npos);
  EXPECT_EQ(card_ids(html).front(), "done-1");
}

TEST(ReportHtml, CountsInTheHeaderAndOnTheFilters) {
  const std::string html = page(test::sample_report());
  EXPECT_NE(html.find("2 / 5 done, 1 failed, 1 rendering, 1 pending"), std::string::npos);
  EXPECT_NE(html.find("data-filter=\"all\" aria-pressed=\"true\">all (5)"), std::string::npos);
  EXPECT_NE(html.find("data-filter=\"failed\" aria-pressed=\"false\">failed (1)"),
            std::string::npos);
  EXPECT_NE(html.find("data-filter=\"done\" aria-pressed=\"false\">done (2)"), std::string::npos);
  EXPECT_NE(html.find("Finished with failures"), std::string::npos);
  EXPECT_NE(html.find("<dt>GPU-hours</dt><dd>20.0</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>wall time</dt><dd>1 h 30 min</dd>"), std::string::npos);
  EXPECT_NE(html.find("cfg=1,tp=1,ulysses=2,ring=1, cfg=2,tp=1,ulysses=1,ring=1"),
            std::string::npos);
}

TEST(ReportHtml, ARunningJobShowsItsProgressInTheHeader) {
  JobReport report = test::sample_report();
  report.runs.back().ended = 0.0;
  report.runs.back().exit_code = -1;
  const std::string html = page(report);
  EXPECT_NE(html.find("<header class=\"running\">"), std::string::npos);
  EXPECT_NE(html.find("<strong>Running</strong>: 2 / 5 done"), std::string::npos);
  EXPECT_NE(html.find("running since"), std::string::npos);
  EXPECT_NE(html.find("last update"), std::string::npos);
  EXPECT_NE(html.find("segment-000 step 12/40"), std::string::npos);  // what 'busy' is doing
}

TEST(ReportHtml, LinksAreRelativeAndPercentEncoded) {
  const std::string html = page(test::sample_report());
  EXPECT_NE(html.find("<source src=\"shot%20one/%231.mp4\" type=\"video/mp4; "
                      "codecs=&quot;avc1.64001F&quot;\">"),
            std::string::npos);
  EXPECT_NE(html.find("<source src=\"shot%20one/%231.webm\" type=\"video/webm; "
                      "codecs=&quot;vp9&quot;\">"),
            std::string::npos);
  // MP4 before WebM: the browser plays the first source it can.
  EXPECT_LT(html.find("%231.mp4\" type"), html.find("%231.webm\" type"));
  EXPECT_NE(html.find("<img class=\"poster\" loading=\"lazy\" decoding=\"async\" "
                      "src=\"report-assets/done-1/poster-x.jpg\""),
            std::string::npos);
  EXPECT_EQ(html.find("src=\"/"), std::string::npos);
  EXPECT_EQ(html.find("href=\"/"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(ReportHtml, ManyAssetsLoadNothingUntilShown) {
  JobReport report = test::sample_report();
  const ReportAsset done = report.assets[0];
  for (int i = 0; i < 200; ++i) {
    ReportAsset copy = done;
    copy.id = "copy-" + std::to_string(i);
    report.assets.push_back(copy);
  }
  const std::string html = page(report);
  // Every clip waits, inert, in a <template> behind its play button until pressed.
  EXPECT_EQ(count(html, "<video "), 201u);
  EXPECT_EQ(count(html, "<template><video "), 201u);
  EXPECT_EQ(count(html, "<button type=\"button\" class=\"play\""), 201u);
  EXPECT_EQ(count(html, "<img "), count(html, "<img class=\"sheet\" loading=\"lazy\"") +
                                      count(html, "<img class=\"thumb\" loading=\"lazy\"") +
                                      count(html, "<img class=\"poster\" loading=\"lazy\""));
  EXPECT_NE(html.find("content-visibility:auto"), std::string::npos);
}

TEST(ReportHtml, AGifOnlyAssetShowsTheGif) {
  const std::string html = page(test::sample_report());
  EXPECT_NE(html.find("<img class=\"poster\" loading=\"lazy\" decoding=\"async\" "
                      "src=\"done-2.gif\" alt=\"done-2\">"),
            std::string::npos);
}

}  // namespace
}  // namespace motionfarm::report
