# Test helpers. Labels: unit (one process), mpi (real ranks under mpirun), e2e (the motionfarm
# executable end to end), slurm (a real local Slurm). docs/testing.md says how to run each.
find_package(GTest REQUIRED)
include(GoogleTest)

# Environment of every test: one torch/OpenMP thread per process keeps MPI tests from
# oversubscribing the cores; the OMPI_* settings let Open MPI run as root in CI containers and
# fall back from the cross-memory-attach copy that containers forbid.
set(MOTIONFARM_TEST_ENVIRONMENT
  OMP_NUM_THREADS=1
  MOTIONFARM_TORCH_THREADS=1
  MOTIONFARM_SOURCE_DIR=${PROJECT_SOURCE_DIR}
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_btl_vader_single_copy_mechanism=none
  OMPI_MCA_rmaps_base_oversubscribe=1)

# Sanitized builds (scripts/sanitize) run 2-5x slower: their timeouts are 4x the plain ones.
macro(motionfarm_scale_test_timeout variable)
  if(MOTIONFARM_SANITIZE)
    math(EXPR ${variable} "${${variable}} * 4")
  endif()
endmacro()

# motionfarm_add_unit_test(NAME n SOURCES s... LIBS l... [LABEL unit|e2e] [TIMEOUT s])
# One gtest executable; every TEST becomes its own ctest entry (discovered when ctest runs).
function(motionfarm_add_unit_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  motionfarm_scale_test_timeout(ARG_TIMEOUT)
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} motionfarm_torch motionfarm_test_support GTest::gtest
                        GTest::gtest_main motionfarm_warnings)
  motionfarm_use_torch_pch(${ARG_NAME})
  # gtest_discover_tests splits list-valued PROPERTIES (CMake 3.25), so the environment comes
  # through the test launcher instead, which discovery and every run go through.
  set_target_properties(${ARG_NAME} PROPERTIES CROSSCOMPILING_EMULATOR
                        "${CMAKE_COMMAND};-E;env;${MOTIONFARM_TEST_ENVIRONMENT}")
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    TEST_PREFIX "${ARG_LABEL}.${ARG_NAME}."
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
endfunction()

# motionfarm_add_mpi_test(NAME n SOURCES s... LIBS l... RANKS 2 4 [TIMEOUT s])
# One gtest executable run under mpirun once per rank count; every rank runs every TEST and the
# job fails when any rank fails.
function(motionfarm_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS;RANKS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  motionfarm_scale_test_timeout(ARG_TIMEOUT)
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} motionfarm_mpi_test_main GTest::gtest
                        motionfarm_warnings)
  motionfarm_use_torch_pch(${ARG_NAME})
  foreach(ranks IN LISTS ARG_RANKS)
    add_test(NAME mpi.${ARG_NAME}.np${ranks}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} --oversubscribe
                     ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${ARG_NAME}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(mpi.${ARG_NAME}.np${ranks} PROPERTIES
      LABELS mpi TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${ranks}
      ENVIRONMENT "${MOTIONFARM_TEST_ENVIRONMENT}")
  endforeach()
endfunction()
