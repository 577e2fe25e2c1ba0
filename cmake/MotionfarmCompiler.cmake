# Compiler settings shared by every target: warnings, ccache, sanitizers.

find_program(MOTIONFARM_CCACHE ccache)
if(MOTIONFARM_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # ccache only reuses precompiled-header builds with these sloppiness settings (ccache manual,
  # "Precompiled headers"); ccache 4.7 takes them from the environment, so the launcher sets them.
  # CCACHE_BASEDIR makes paths relative in the cache key, so a fresh clone in another folder (CI)
  # reuses what an earlier build compiled.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
      ${MOTIONFARM_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${CMAKE_CXX_COMPILER_LAUNCHER})
endif()

# Error messages name source files relative to the repository root, whatever the checkout path.
add_compile_options(-fmacro-prefix-map=${PROJECT_SOURCE_DIR}/=)

add_library(motionfarm_warnings INTERFACE)
target_compile_options(motionfarm_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(MOTIONFARM_WERROR)
  target_compile_options(motionfarm_warnings INTERFACE -Werror)
endif()

if(MOTIONFARM_SANITIZE)
  string(REPLACE "," ";" _sanitizers "${MOTIONFARM_SANITIZE}")
  foreach(_s IN LISTS _sanitizers)
    add_compile_options(-fsanitize=${_s})
    add_link_options(-fsanitize=${_s})
  endforeach()
  add_compile_options(-fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  # GCC's -Wmaybe-uninitialized is unreliable on ASan-instrumented code (the GCC manual says so
  # under -fsanitize=address): GCC 12 flags std::regex's own std::function members. The plain
  # build keeps the warning, so real cases are still caught there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

# libFuzzer (MOTIONFARM_FUZZ, tests/fuzz): everything this build compiles carries the fuzzer's
# coverage instrumentation and AddressSanitizer, so crashes inside the project's own parsers are
# caught where they happen; the fuzz executables add libFuzzer's main (-fsanitize=fuzzer).
# GCC has no libFuzzer, so the option is refused there instead of silently fuzzing nothing.
if(MOTIONFARM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MOTIONFARM_FUZZ=ON needs clang (libFuzzer): configure with "
                        "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++, or run scripts/fuzz")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address)
endif()
