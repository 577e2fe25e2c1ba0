#include "slurm/srun_mpi.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace motionfarm::slurm {
namespace {

TEST(SrunMpi, PmixWhenOffered) {
  // Slurm 22.05 (Debian 12) with libpmix.
  EXPECT_EQ(choose_mpi_plugin("MPI plugin types are...\n\tnone\n\tcray_shasta\n\tpmi2\n\tpmix\n"
                              "specific pmix plugin versions available: pmix_v4\n"),
            "pmix");
  // Older layout, versioned name only.
  EXPECT_EQ(choose_mpi_plugin("srun: MPI types are...\nsrun: none\nsrun: pmix_v3\nsrun: pmi2\n"),
            "pmix");
}

TEST(SrunMpi, Pmi2WhenPmixIsAbsent) {
  EXPECT_EQ(choose_mpi_plugin("MPI plugin types are...\n\tnone\n\tcray_shasta\n\tpmi2\n"), "pmi2");
}

TEST(SrunMpi, NeitherIsAnErrorThatSaysWhatToDo) {
  try {
    choose_mpi_plugin("MPI plugin types are...\n\tnone\n");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("pass --mpi"), std::string::npos) << error.what();
  }
  // "pmixer" or "pmi2x" are not the plugins.
  EXPECT_THROW(choose_mpi_plugin("pmixer pmi2x"), ConfigError);
}

}  // namespace
}  // namespace motionfarm::slurm
