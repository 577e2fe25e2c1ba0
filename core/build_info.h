// Facts about this build that `motionfarm version` and every report print.
#pragma once

namespace motionfarm::core {

struct BuildInfo {
  const char* version;        // motionfarm's own version
  const char* git_commit;     // short commit, "-dirty" when the tree had uncommitted changes
  const char* torch_version;  // LibTorch version the build compiled against
  bool cuda_compiled;         // CUDA code paths were built
  bool nccl_compiled;         // the NCCL communicator was built
  bool torch_has_cuda;        // LibTorch itself was built with CUDA
};

const BuildInfo& build_info();

}  // namespace motionfarm::core
