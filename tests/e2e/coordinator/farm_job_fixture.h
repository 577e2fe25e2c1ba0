// Tiny farm jobs for the end-to-end and MPI tests of `motionfarm run`: demo-model assets of
// 64x64 pixels and 5-frame segments, so a whole job renders in seconds on two cores.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace motionfarm::testing {

struct TinyAsset {
  std::string id;
  int64_t frames = 5;              // 5, 9, 13, 17: 1 to 4 segments of 5 frames sharing one frame
  std::string image = "girl.png";  // girl.png, snake.png or corrupt.png (in the job folder)
  std::string prompt = "she turns her head and smiles";
};

struct TinyJob {
  std::string folder;
  std::string manifest;
  std::string state;
  std::string output_root;
};

// Writes `folder`/job.yaml with `assets` and the images it names (copies of the shared photos,
// and corrupt.png: a PNG whose header is whole but whose pixel data is garbage).
TinyJob write_tiny_job(const std::string& folder, const std::vector<TinyAsset>& assets,
                       int steps = 3, const std::string& job_name = "tiny");

// The environment every farm command needs in tests (demo model cache, one thread, Open MPI in
// containers), as a shell prefix.
std::string farm_environment();

// Every finished segment's latents in the job's latent stores (`state`/latents/<asset>/latents.h5),
// keyed "<asset>/segment_<k>", as raw bytes (for bitwise comparisons between runs).
std::map<std::string, std::string> finished_segment_latents(const std::string& state);

// The first column of the first row of `sql` on the job's ledger, as an integer.
int64_t ledger_integer(const std::string& state, const std::string& sql);

// The same, or 0 while the ledger does not exist yet or is being created (a job running beside).
int64_t ledger_or_zero(const std::string& state, const std::string& sql);

// `motionfarm run` on `job` in this process (no mpirun), stdout and stderr together; `extra` is
// appended to the command line. Needs MOTIONFARM_BINARY, which every farm test target defines.
CommandResult run_job(const TinyJob& job, const std::string& extra = "");

}  // namespace motionfarm::testing
