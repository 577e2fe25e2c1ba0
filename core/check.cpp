#include "core/check.h"

namespace motionfarm::detail {

std::string format_check_failure(const char* condition, const char* file, int line,
                                 const std::string& message) {
  // __FILE__ is relative to the repository root (-fmacro-prefix-map in MotionfarmCompiler.cmake).
  std::ostringstream out;
  out << message << " (check `" << condition << "` failed at " << file << ":" << line << ")";
  return out.str();
}

}  // namespace motionfarm::detail
