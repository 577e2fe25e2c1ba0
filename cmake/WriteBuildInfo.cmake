# Script mode: writes build_info.cpp, touching it only when its content changes.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0 OR GIT_COMMIT STREQUAL "")
  set(GIT_COMMIT "unknown")
endif()
execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                OUTPUT_VARIABLE _dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _dirty STREQUAL "")
  set(GIT_COMMIT "${GIT_COMMIT}-dirty")
endif()
foreach(_flag HAVE_CUDA HAVE_NCCL TORCH_HAS_CUDA)
  if(${_flag})
    set(${_flag}_CPP true)
  else()
    set(${_flag}_CPP false)
  endif()
endforeach()
configure_file("${IN}" "${OUT}.tmp" @ONLY)
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
