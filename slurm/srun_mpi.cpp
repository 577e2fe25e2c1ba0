#include "slurm/srun_mpi.h"

#include <cctype>
#include <set>

#include "core/error.h"

namespace motionfarm::slurm {

std::string choose_mpi_plugin(const std::string& srun_mpi_list) {
  // The listing's layout changed between Slurm versions ("srun: pmix" lines, tab-indented names,
  // "specific pmix plugin versions available: pmix_v4"): take every word.
  std::set<std::string> words;
  std::string word;
  for (const char c : srun_mpi_list + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += c;
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  for (const std::string& w : words) {
    if (w == "pmix" || w.rfind("pmix_v", 0) == 0) return "pmix";
  }
  if (words.count("pmi2")) return "pmi2";
  throw ConfigError("srun --mpi=list offers neither pmix nor pmi2 (it printed: '" + srun_mpi_list +
                    "'): pass --mpi with the plugin your MPI starts under");
}

}  // namespace motionfarm::slurm
