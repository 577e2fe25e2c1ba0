// The text helpers of report.html: escaping, relative URLs, human durations and sizes, hints.
#include <gtest/gtest.h>

#include "report/error_hints.h"
#include "report/html_text.h"

namespace motionfarm::report {
namespace {

TEST(HtmlText, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(escape_html("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(escape_html("plain é text"), "plain é text");
  EXPECT_EQ(escape_html(""), "");
}

TEST(HtmlText, RelativeUrlsAreEncodedAndStayRelative) {
  EXPECT_EQ(relative_url("/out/a/b.mp4", "/out"), "a/b.mp4");
  EXPECT_EQ(relative_url("/out/./a//b.mp4", "/out/"), "a/b.mp4");
  EXPECT_EQ(relative_url("/out/shot one/#1?.mp4", "/out"), "shot%20one/%231%3F.mp4");
  EXPECT_EQ(relative_url("/out/100%.mp4", "/out"), "100%25.mp4");
  EXPECT_EQ(relative_url("/out/caf\xc3\xa9.mp4", "/out"), "caf%C3%A9.mp4");
  EXPECT_EQ(relative_url("/elsewhere/c.mp4", "/out/job"), "../../elsewhere/c.mp4");
  EXPECT_EQ(relative_url("report-assets/x/poster-1.jpg", ""), "report-assets/x/poster-1.jpg");
}

TEST(HtmlText, HumanDurationsAndSizes) {
  EXPECT_EQ(duration_text(0.0), "0 s");
  EXPECT_EQ(duration_text(0.3), "0.3 s");
  EXPECT_EQ(duration_text(42.4), "42 s");
  EXPECT_EQ(duration_text(185.0), "3 min 05 s");
  EXPECT_EQ(duration_text(7980.0), "2 h 13 min");
  EXPECT_EQ(bytes_text(812), "812 B");
  EXPECT_EQ(bytes_text(1536), "1.5 KB");
  EXPECT_EQ(bytes_text(int64_t{23} * 1024 * 1024), "23.0 MB");
  EXPECT_EQ(iso_time_text(1'700'000'000.0), "2023-11-14T22:13:20Z");
  EXPECT_EQ(iso_time_text(0.0), "");
  EXPECT_EQ(local_time_text(0.0), "-");
}

TEST(ErrorHints, EachErrorTypeGetsItsOwnAdvice) {
  EXPECT_NE(error_hint("input", "image x.png: corrupt").find("image"), std::string::npos);
  EXPECT_NE(error_hint("non-finite", "NaN").find("seed"), std::string::npos);
  EXPECT_NE(error_hint("internal", "CUDA out of memory").find("layout"), std::string::npos);
  EXPECT_NE(error_hint("", "output /o/a.mp4 exists and was not written by this job: move it")
                .find("overwrite"),
            std::string::npos);
  EXPECT_NE(error_hint("internal", "something odd").find("coordinator.log"), std::string::npos);
}

}  // namespace
}  // namespace motionfarm::report
