#include "core/check.h"

#include <gtest/gtest.h>

namespace motionfarm {
namespace {

TEST(Check, PassingCheckDoesNotThrow) {
  EXPECT_NO_THROW(MF_CHECK(1 + 1 == 2, Error, "arithmetic"));
  EXPECT_NO_THROW(MF_CHECK_EQ(40 % 8, 0, ConfigError, "heads"));
}

TEST(Check, FailingCheckThrowsTypedErrorWithValuesAndLocation) {
  const int heads = 40;
  const int ulysses = 16;
  try {
    MF_CHECK_EQ(heads % ulysses, 0, ConfigError,
                heads << " heads are not divisible by ulysses " << ulysses);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("40 heads are not divisible by ulysses 16"), std::string::npos)
        << message;
    EXPECT_NE(message.find("heads % ulysses = 8"), std::string::npos) << message;
    EXPECT_NE(message.find("check `heads % ulysses == 0` failed"), std::string::npos) << message;
    EXPECT_NE(message.find("tests/unit/core/check_test.cpp:"), std::string::npos) << message;
  }
}

TEST(Check, ErrorTypesShareTheBase) {
  EXPECT_THROW(MF_CHECK(false, InputError, "x"), Error);
  EXPECT_THROW(MF_CHECK_LT(3, 2, CheckpointError, "x"), CheckpointError);
}

}  // namespace
}  // namespace motionfarm
