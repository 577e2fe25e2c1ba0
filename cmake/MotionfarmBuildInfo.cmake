# Build facts that `motionfarm version` prints. The git commit is read at configure time and again
# at every build (a custom target), so an incremental build never reports a stale commit.
set(MOTIONFARM_BUILD_INFO_IN "${CMAKE_CURRENT_LIST_DIR}/build_info.cpp.in")
set(MOTIONFARM_BUILD_INFO_OUT "${CMAKE_BINARY_DIR}/generated/build_info.cpp")
add_custom_target(motionfarm_build_info_gen
  BYPRODUCTS ${MOTIONFARM_BUILD_INFO_OUT}
  COMMAND ${CMAKE_COMMAND}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DIN=${MOTIONFARM_BUILD_INFO_IN}
          -DOUT=${MOTIONFARM_BUILD_INFO_OUT} -DVERSION=${PROJECT_VERSION}
          -DTORCH_VERSION=${Torch_VERSION}
          -DHAVE_CUDA=${MOTIONFARM_HAVE_CUDA} -DHAVE_NCCL=${MOTIONFARM_HAVE_NCCL}
          -DTORCH_HAS_CUDA=${MOTIONFARM_TORCH_HAS_CUDA}
          -P ${CMAKE_CURRENT_LIST_DIR}/WriteBuildInfo.cmake
  COMMENT "Recording the git commit for motionfarm version" VERBATIM)
