#include "core/log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tests/support/test_paths.h"

namespace motionfarm::core {
namespace {

TEST(Log, JsonEscapeHandlesQuotesControlAndUnicode) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
  EXPECT_EQ(json_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through untouched
}

TEST(Log, WritesOneJsonLinePerMessage) {
  testing::ScratchDir dir("log");
  Logger::instance().open_json_file(dir.file("rank.jsonl"));
  Logger::instance().set_rank(3, 8);
  MF_LOG(Info, "farm") << "asset \"a1\" done in " << 1.5 << " s";
  MF_LOG(Debug, "farm") << "below the level: never written";
  Logger::instance().open_json_file(dir.file("other.jsonl"));  // closes the first

  std::ifstream in(dir.file("rank.jsonl"));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find("\"level\":\"info\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"rank\":3"), std::string::npos) << line;
  EXPECT_NE(line.find("\"msg\":\"asset \\\"a1\\\" done in 1.5 s\""), std::string::npos) << line;
  EXPECT_FALSE(std::getline(in, line)) << "debug line should be filtered: " << line;
}

TEST(Log, ParseLevelRejectsUnknownWithTheValidNames) {
  EXPECT_EQ(parse_log_level("warn"), LogLevel::Warn);
  try {
    parse_log_level("verbose");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("debug, info, warn or error"), std::string::npos);
  }
}

}  // namespace
}  // namespace motionfarm::core
