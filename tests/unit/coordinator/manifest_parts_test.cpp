// The manifest's building blocks on their own: suggestions, CSV fields, naming templates and the
// segment plan.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "coordinator/did_you_mean.h"
#include "coordinator/manifest_csv.h"
#include "coordinator/manifest_naming.h"
#include "coordinator/manifest_segments.h"
#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::coordinator {
namespace {

TEST(DidYouMean, SuggestsCloseNamesOnly) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
  EXPECT_EQ(edit_distance("", "abc"), 3);
  const std::vector<std::string> keys = {"prompt", "priority", "fps", "id"};
  EXPECT_EQ(closest_match("promt", keys), "prompt");
  EXPECT_EQ(closest_match("priorty", keys), "priority");
  EXPECT_EQ(edit_distance("sede", "seed"), 1);  // a swap is one edit
  EXPECT_EQ(closest_match("fsp", keys), "fps");
  EXPECT_EQ(closest_match("xyz", keys), "");  // 3 edits of a 3-letter word is no typo
  EXPECT_EQ(closest_match("ix", keys), "");   // 1 edit of a 2-letter word is no typo either
  EXPECT_EQ(closest_match("resolution", keys), "");
  EXPECT_EQ(did_you_mean("fpss", keys), " (did you mean 'fps'?)");
}

TEST(ManifestCsv, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  Diagnostics diagnostics;
  const auto rows = parse_csv("id, prompt\r\na,\"say \"\"hi\"\", then\nwave\"\n\nb,  plain  \n",
                              "s.csv", diagnostics);
  ASSERT_FALSE(diagnostics.has_errors());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].cells[1].text, "prompt");
  EXPECT_EQ(rows[0].cells[1].where.column, 4);
  EXPECT_EQ(rows[1].cells[1].text, "say \"hi\", then\nwave");
  EXPECT_EQ(rows[1].cells[1].where.line, 2);
  EXPECT_EQ(rows[1].cells[1].where.column, 3);
  EXPECT_EQ(rows[2].where.line, 5);  // the quoted line break and the blank line are counted
  EXPECT_EQ(rows[2].cells[1].text, "plain");
}

TEST(ManifestCsv, UnclosedQuoteIsReportedAtTheQuote) {
  Diagnostics diagnostics;
  parse_csv("id,prompt\na,\"never closed\n", "s.csv", diagnostics);
  const auto problems = diagnostics.sorted();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].to_string(),
            "s.csv:2:3: this quoted CSV field is never closed: add the closing '\"'");
}

TEST(ManifestNaming, RendersEveryField) {
  NamingValues values;
  values.job = "spring";
  values.asset = "hero";
  values.seed = 42;
  values.date = "2025-01-31";
  values.format = "webm";
  values.index = 6;
  EXPECT_EQ(render_output_name("{date}/{job}/{asset}_{seed}_{index}_{segment}.{format}", values),
            "2025-01-31/spring/hero_42_0007_all.webm");
  values.segment = 2;
  EXPECT_EQ(render_output_name("{asset}_s{segment}", values), "hero_s002");
}

TEST(ManifestNaming, ProblemsPointAtTheCharacter) {
  EXPECT_TRUE(naming_template_problems("{asset}/{asset}_{seed}").empty());
  const auto unknown = naming_template_problems("{asset}_{sede}");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].offset, 8u);
  EXPECT_NE(unknown[0].message.find("did you mean 'seed'"), std::string::npos);
  EXPECT_EQ(naming_template_problems("{asset")[0].offset, 0u);
  EXPECT_EQ(naming_template_problems("a}")[0].offset, 1u);
  EXPECT_EQ(naming_template_problems("a/../b")[0].offset, 2u);
  EXPECT_EQ(naming_template_problems("a//b")[0].offset, 2u);
  EXPECT_FALSE(naming_template_problems("/abs/{asset}").empty());
  EXPECT_FALSE(naming_template_problems("{asset}/").empty());
  EXPECT_FALSE(naming_template_problems("").empty());
}

TEST(ManifestNaming, OutputPathEscape) {
  testing::ScratchDir root("naming-root");
  testing::ScratchDir outside("naming-outside");
  EXPECT_EQ(output_path_escape(root.path(), "a/b.mp4"), "");
  EXPECT_NE(output_path_escape(root.path(), "../b.mp4"), "");
  std::filesystem::create_directory_symlink(outside.path(), root.file("linked"));
  EXPECT_NE(output_path_escape(root.path(), "linked/b.mp4").find("is a symlink to"),
            std::string::npos);
  // A link that stays inside the root is fine.
  std::filesystem::create_directories(root.file("real"));
  std::filesystem::create_directory_symlink(root.file("real"), root.file("alias"));
  EXPECT_EQ(output_path_escape(root.path(), "alias/b.mp4"), "");
}

// The plan covers the clip exactly, with 4n+1-frame segments no longer than asked.
void expect_consistent(const std::vector<SegmentPlan>& plan, int64_t total,
                       const ExtensionSettings& extension) {
  int64_t covered = 0;
  for (const SegmentPlan& segment : plan) {
    EXPECT_EQ((segment.frames - 1) % 4, 0);
    EXPECT_LE(segment.frames, extension.segment_frames);
    EXPECT_EQ(segment.first_clip_frame, covered);
    EXPECT_LE(segment.new_frames + segment.context_frames, segment.frames);
    covered += segment.new_frames;
  }
  EXPECT_EQ(covered, total);
}

TEST(ManifestSegments, ChainsLongClipsWithContext) {
  ExtensionSettings extension;
  extension.segment_frames = 81;
  extension.context_latent_frames = 1;
  const auto one = plan_segments(81, extension, 4);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].frames, 81);

  const auto short_clip = plan_segments(30, extension, 4);
  ASSERT_EQ(short_clip.size(), 1u);
  EXPECT_EQ(short_clip[0].frames, 33);  // rounded up to 4n+1, trimmed to 30
  EXPECT_EQ(short_clip[0].new_frames, 30);

  // 10 s at 16 fps with 3 latent frames (9 pixel frames) of context: 81 + 72 + ...
  extension.context_latent_frames = 3;
  const auto chained = plan_segments(160, extension, 4);
  ASSERT_EQ(chained.size(), 3u);
  EXPECT_EQ(chained[1].context_frames, 9);
  EXPECT_EQ(chained[1].new_frames, 72);
  EXPECT_EQ(chained[2].frames, 17);  // 7 new frames + 9 context, rounded up to 4n+1
  expect_consistent(chained, 160, extension);
  for (int64_t total : {1, 2, 5, 80, 81, 82, 153, 154, 1000}) {
    expect_consistent(plan_segments(total, extension, 4), total, extension);
  }
}

TEST(ManifestSegments, RejectsImpossibleSettings) {
  ExtensionSettings extension;
  extension.segment_frames = 12;
  EXPECT_THROW(plan_segments(40, extension, 4), ConfigError);
  extension.segment_frames = 9;
  extension.context_latent_frames = 3;  // 9 frames of context in a 9-frame segment
  EXPECT_THROW(plan_segments(40, extension, 4), ConfigError);
}

}  // namespace
}  // namespace motionfarm::coordinator
