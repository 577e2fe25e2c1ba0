// Precondition checks that throw a typed motionfarm error with file:line and the values involved.
//
// Use these, never assert(), for anything input can reach:
//   MF_CHECK(dim % heads == 0, ModelError, "dim " << dim << " is not divisible by " << heads);
//   MF_CHECK_EQ(heads % ulysses, 0, ConfigError, "use a ulysses degree that divides the heads");
#pragma once

#include <sstream>
#include <string>

#include "core/error.h"

namespace motionfarm::detail {

// "message (check `condition` failed at file:line)": the user reads the message first.
std::string format_check_failure(const char* condition, const char* file, int line,
                                 const std::string& message);

template <class ErrorType>
[[noreturn]] void throw_check_failure(const char* condition, const char* file, int line,
                                      const std::string& message) {
  throw ErrorType(format_check_failure(condition, file, line, message));
}

}  // namespace motionfarm::detail

#define MF_CHECK_IMPL_(passed, condition_text, ErrorType, message)        \
  do {                                                                    \
    if (!(passed)) {                                                      \
      std::ostringstream mf_check_stream_;                                \
      mf_check_stream_ << message;                                        \
      ::motionfarm::detail::throw_check_failure<::motionfarm::ErrorType>( \
          condition_text, __FILE__, __LINE__, mf_check_stream_.str());    \
    }                                                                     \
  } while (false)

#define MF_CHECK(condition, ErrorType, message) \
  MF_CHECK_IMPL_(condition, #condition, ErrorType, message)

// Shows both operands' values next to their expressions.
#define MF_CHECK_OP_(a, b, op, ErrorType, message)                                      \
  do {                                                                                  \
    const auto& mf_a_ = (a);                                                            \
    const auto& mf_b_ = (b);                                                            \
    MF_CHECK_IMPL_(mf_a_ op mf_b_, #a " " #op " " #b, ErrorType,                        \
                   message << " (" #a " = " << mf_a_ << ", " #b " = " << mf_b_ << ")"); \
  } while (false)

#define MF_CHECK_EQ(a, b, ErrorType, message) MF_CHECK_OP_(a, b, ==, ErrorType, message)
#define MF_CHECK_NE(a, b, ErrorType, message) MF_CHECK_OP_(a, b, !=, ErrorType, message)
#define MF_CHECK_LT(a, b, ErrorType, message) MF_CHECK_OP_(a, b, <, ErrorType, message)
#define MF_CHECK_LE(a, b, ErrorType, message) MF_CHECK_OP_(a, b, <=, ErrorType, message)
#define MF_CHECK_GT(a, b, ErrorType, message) MF_CHECK_OP_(a, b, >, ErrorType, message)
#define MF_CHECK_GE(a, b, ErrorType, message) MF_CHECK_OP_(a, b, >=, ErrorType, message)
