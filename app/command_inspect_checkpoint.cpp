// motionfarm inspect-checkpoint FILE: what a latent checkpoint holds, with every checksum checked.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app/command.h"
#include "app/options.h"
#include "core/exit_codes.h"
#include "io/latent_store.h"

namespace motionfarm::app {

namespace po = boost::program_options;

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string index_text(int index) {
  char text[16];
  std::snprintf(text, sizeof(text), "%03d", index);
  return text;
}

}  // namespace

int run_inspect_checkpoint_command(const std::vector<std::string>& args) {
  po::options_description options(
      "motionfarm inspect-checkpoint FILE: the meta, segments and in-progress sampling state of a\n"
      "latent checkpoint (docs/checkpoints.md), reading and verifying every checksum.\n"
      "Exits 0 when everything verifies, 6 when some data does not, 3 when the file cannot be "
      "read");
  options.add_options()("help,h", "show this help")("file", po::value<std::string>()->required(),
                                                    "the checkpoint (.h5)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map values;
  if (!parse_subcommand_options("inspect-checkpoint", args, options, positional, values)) {
    return kExitSuccess;
  }
  // Anything unreadable at the file level (not HDF5, truncated, unknown version) throws
  // CheckpointError, which main reports with kExitBadInput.
  const io::LatentStore store = io::LatentStore::open_unchecked(values["file"].as<std::string>());
  const io::LatentStoreMeta& meta = store.meta();
  std::cout << "file        " << store.path() << "\n"
            << "format      version " << meta.format_version << ", written by motionfarm "
            << meta.motionfarm_version << "\n"
            << "model       " << meta.identity.model_id << " (config hash "
            << meta.identity.model_config_hash << ")\n"
            << "seed        " << meta.identity.seed << "\n"
            << "prompt hash " << meta.identity.prompt_hash << "\n";
  for (const auto& [key, value] : meta.extra) {
    std::cout << "extra       " << key << " = " << value << "\n";
  }

  const std::vector<io::SegmentReport> reports = store.inspect();
  int complete = 0;
  bool all_verified = true;
  for (const io::SegmentReport& report : reports) complete += report.complete ? 1 : 0;
  std::cout << "segments    " << reports.size() << " (" << complete << " complete)\n";
  for (const io::SegmentReport& report : reports) {
    std::cout << "  " << index_text(report.index) << "  ";
    if (report.complete) {
      std::cout << "complete    latents " << report.dtype << " " << shape_text(report.shape)
                << "  checksum " << (report.latents_verified ? "OK" : "BAD") << "\n";
      if (!report.latents_verified) {
        all_verified = false;
        std::cout << "       " << report.problem << "\n";
      }
    } else {
      std::cout << "incomplete\n";
    }
    if (report.state) {
      const io::SegmentReport::State& state = *report.state;
      std::cout << "       in progress: step " << state.step_index << " of " << state.num_steps
                << ", sampler " << state.sampler << ", shift " << state.shift << ", history "
                << state.history_length << ", latent " << shape_text(state.latent_shape)
                << "  checksum " << (state.verified ? "OK" : "BAD") << "\n";
      if (!state.verified) {
        all_verified = false;
        std::cout << "       " << state.problem << "\n";
      }
    }
  }
  return all_verified ? kExitSuccess : kExitCheckFailed;
}

}  // namespace motionfarm::app
