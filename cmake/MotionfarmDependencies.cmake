# Every external dependency, found through its own CMake config, FindModule or pkg-config.
# docs/dependencies.md says why each one is here.

find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
# The farm's own dependencies; a model-only build (CMakeLists.txt) leaves them out.
if(NOT MOTIONFARM_MODEL_ONLY)
  find_package(Boost 1.74 REQUIRED COMPONENTS program_options filesystem)
  find_package(SQLite3 REQUIRED)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
endif()

# SentencePiece (the umT5 tokenizer): pkg-config where the package ships a .pc file (Debian's
# lists the trainer too, which motionfarm does not need), else the header and library directly.
pkg_check_modules(SENTENCEPIECE QUIET sentencepiece)
find_path(MOTIONFARM_SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h
          HINTS ${SENTENCEPIECE_INCLUDE_DIRS})
find_library(MOTIONFARM_SENTENCEPIECE_LIBRARY sentencepiece HINTS ${SENTENCEPIECE_LIBRARY_DIRS})
if(NOT MOTIONFARM_SENTENCEPIECE_INCLUDE_DIR OR NOT MOTIONFARM_SENTENCEPIECE_LIBRARY)
  message(FATAL_ERROR "SentencePiece was not found: install libsentencepiece-dev (Debian/Ubuntu) "
                      "or set CMAKE_PREFIX_PATH to its install prefix")
endif()
add_library(motionfarm::sentencepiece UNKNOWN IMPORTED)
set_target_properties(motionfarm::sentencepiece PROPERTIES
  IMPORTED_LOCATION "${MOTIONFARM_SENTENCEPIECE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MOTIONFARM_SENTENCEPIECE_INCLUDE_DIR}")
message(STATUS "motionfarm: SentencePiece at ${MOTIONFARM_SENTENCEPIECE_LIBRARY}")

# LibTorch's CMake config does not export its version as a variable on every release; the header does.
if(NOT Torch_VERSION AND EXISTS "${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include/torch/version.h")
  file(STRINGS "${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include/torch/version.h" _tv
       REGEX "#define TORCH_VERSION \"")
  string(REGEX MATCH "[0-9.]+" Torch_VERSION "${_tv}")
endif()
message(STATUS "motionfarm: LibTorch ${Torch_VERSION} at ${TORCH_INSTALL_PREFIX}")

# One imported target that carries LibTorch's include paths, libraries and required flags
# (TORCH_CXX_FLAGS holds the C++ ABI define that must match the library).
add_library(motionfarm_torch INTERFACE)
target_link_libraries(motionfarm_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(motionfarm_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(motionfarm_torch INTERFACE ${_torch_flags})
# LibTorch 2.x as shipped in the PyTorch wheels exports its own copies of some libstdc++ symbols
# (std::filesystem::remove_all among them). With libtorch.so ahead of libstdc++.so.6 in the search
# order -- or with a toolchain that links libstdc++ statically, so the linker takes the first shared
# definition it sees -- our calls bind to those copies, which crash (seen with LibTorch 2.11:
# docs/gpu.md). Naming the shared libstdc++.so.6 first among the dependencies makes the real library
# win; with Debian's 1.13 it changes nothing.
target_link_options(motionfarm_torch INTERFACE
  "LINKER:--push-state,--no-as-needed,-l:libstdc++.so.6,--pop-state")

# ---- Optional GPU pieces: tri-state, AUTO finds what is there, ON fails loudly. -------------------
set(MOTIONFARM_HAVE_CUDA OFF)
set(MOTIONFARM_HAVE_NCCL OFF)
set(MOTIONFARM_TORCH_HAS_CUDA OFF)
if(TARGET torch_cuda OR TARGET c10_cuda)
  set(MOTIONFARM_TORCH_HAS_CUDA ON)
endif()

if(NOT MOTIONFARM_CUDA STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    set(MOTIONFARM_HAVE_CUDA ON)
    message(STATUS "motionfarm: CUDA toolkit ${CUDAToolkit_VERSION} at ${CUDAToolkit_LIBRARY_ROOT}")
  elseif(MOTIONFARM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MOTIONFARM_CUDA=ON but no CUDA toolkit was found: install it or set "
                        "CUDAToolkit_ROOT=/path/to/cuda")
  endif()
endif()

if(MOTIONFARM_HAVE_CUDA AND NOT MOTIONFARM_NCCL STREQUAL "OFF")
  find_path(MOTIONFARM_NCCL_INCLUDE_DIR nccl.h
            HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_HOME PATH_SUFFIXES include)
  find_library(MOTIONFARM_NCCL_LIBRARY nccl
               HINTS ${CUDAToolkit_LIBRARY_DIR} ENV NCCL_HOME PATH_SUFFIXES lib lib64)
  if(MOTIONFARM_NCCL_INCLUDE_DIR AND MOTIONFARM_NCCL_LIBRARY)
    set(MOTIONFARM_HAVE_NCCL ON)
    add_library(motionfarm::nccl UNKNOWN IMPORTED)
    set_target_properties(motionfarm::nccl PROPERTIES
      IMPORTED_LOCATION "${MOTIONFARM_NCCL_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${MOTIONFARM_NCCL_INCLUDE_DIR}")
    message(STATUS "motionfarm: NCCL at ${MOTIONFARM_NCCL_LIBRARY}")
  endif()
endif()
if(MOTIONFARM_NCCL STREQUAL "ON" AND NOT MOTIONFARM_HAVE_NCCL)
  message(FATAL_ERROR "MOTIONFARM_NCCL=ON but nccl.h/libnccl were not found: install NCCL or set "
                      "NCCL_HOME")
endif()
message(STATUS "motionfarm: CUDA code ${MOTIONFARM_HAVE_CUDA}, NCCL ${MOTIONFARM_HAVE_NCCL}, "
               "LibTorch with CUDA ${MOTIONFARM_TORCH_HAS_CUDA}")

# Precompiled LibTorch headers: one PCH built once and reused by every library that uses torch.
function(motionfarm_use_torch_pch target)
  if(MOTIONFARM_PCH)
    target_precompile_headers(${target} REUSE_FROM motionfarm_torch_pch)
  endif()
endfunction()

if(MOTIONFARM_PCH)
  add_library(motionfarm_torch_pch OBJECT "${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp")
  target_link_libraries(motionfarm_torch_pch PRIVATE motionfarm_torch)
  target_precompile_headers(motionfarm_torch_pch PRIVATE
    <ATen/ATen.h> <c10/util/Optional.h> <map> <memory> <string> <unordered_map> <vector>)
endif()
