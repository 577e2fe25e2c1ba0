#include "parallel/parallel_layout.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace motionfarm::parallel {

std::string ParallelLayout::to_string() const {
  std::ostringstream out;
  out << "cfg=" << cfg << ",tp=" << tp << ",ulysses=" << ulysses << ",ring=" << ring;
  return out.str();
}

ParallelLayout ParallelLayout::parse(const std::string& text) {
  ParallelLayout layout;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    const auto equals = item.find('=');
    const std::string key = item.substr(0, equals);
    int* slot = key == "cfg"       ? &layout.cfg
                : key == "tp"      ? &layout.tp
                : key == "ulysses" ? &layout.ulysses
                : key == "ring"    ? &layout.ring
                                   : nullptr;
    if (slot == nullptr || equals == std::string::npos) {
      throw ConfigError("layout '" + text + "': '" + item +
                        "' is not KEY=N with KEY one of cfg, tp, ulysses, ring");
    }
    const std::string value = item.substr(equals + 1);
    size_t used = 0;
    int parsed = 0;
    try {
      parsed = std::stoi(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || value.empty() || parsed < 1) {
      throw ConfigError("layout '" + text + "': " + key + " must be a positive integer, got '" +
                        value + "'");
    }
    *slot = parsed;
  }
  return layout;
}

namespace {

// The largest divisor of `heads` that is at most `sequence_parallel` and divides it too: the
// Ulysses share of a split that keeps the same total sequence-parallel degree.
int best_ulysses_for(int64_t heads, int sequence_parallel) {
  for (int u = sequence_parallel; u >= 1; --u) {
    if (sequence_parallel % u == 0 && heads % u == 0) return u;
  }
  return 1;
}

}  // namespace

std::vector<std::string> layout_problems(const ParallelLayout& layout, const LayoutModelDims& model,
                                         int world_size) {
  std::vector<std::string> problems;
  std::ostringstream out;
  if (layout.cfg != 1 && layout.cfg != 2) {
    problems.push_back("cfg must be 1 or 2 (the conditional and unconditional branches), got " +
                       std::to_string(layout.cfg));
  }
  if (world_size > 0 && world_size % layout.group_size() != 0) {
    // Suggest the nearest rank count the layout does fit: the next multiple of the group size
    // below the world, or the group size itself when the world is smaller than one group.
    const int fitting =
        std::max(layout.group_size(), world_size / layout.group_size() * layout.group_size());
    problems.push_back("a model group of " + std::to_string(layout.group_size()) + " ranks (" +
                       layout.to_string() + ") does not divide the " + std::to_string(world_size) +
                       " ranks of the job: choose a layout whose product divides it, or run " +
                       std::to_string(fitting) + " ranks");
  }
  const int64_t heads_per_tp = model.num_heads / layout.tp;
  if (model.num_heads % layout.tp != 0) {
    problems.push_back(std::to_string(model.num_heads) + " heads are not divisible by tp " +
                       std::to_string(layout.tp) + ": use a tp degree that divides the heads");
  } else if (heads_per_tp % layout.ulysses != 0) {
    const int sp = layout.sequence_parallel();
    const int u = best_ulysses_for(heads_per_tp, sp);
    std::string fix = "use ulysses " + std::to_string(u);
    if (sp / u > 1) fix += " × ring " + std::to_string(sp / u);
    problems.push_back(
        std::to_string(model.num_heads) + " heads" +
        (layout.tp > 1 ? " (" + std::to_string(heads_per_tp) + " per tp rank)" : "") +
        " are not divisible by ulysses " + std::to_string(layout.ulysses) + ": " + fix);
  }
  if (model.dim % layout.tp != 0) {
    problems.push_back("model dim " + std::to_string(model.dim) + " is not divisible by tp " +
                       std::to_string(layout.tp));
  }
  if (model.ffn_dim % layout.tp != 0) {
    problems.push_back("ffn dim " + std::to_string(model.ffn_dim) + " is not divisible by tp " +
                       std::to_string(layout.tp));
  }
  return problems;
}

void validate_layout(const ParallelLayout& layout, const LayoutModelDims& model, int world_size) {
  const std::vector<std::string> problems = layout_problems(layout, model, world_size);
  if (problems.empty()) return;
  std::string message = "layout " + layout.to_string() + " cannot run:";
  for (const std::string& problem : problems) message += "\n  - " + problem;
  throw ConfigError(message);
}

}  // namespace motionfarm::parallel
