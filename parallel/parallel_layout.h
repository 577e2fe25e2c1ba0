// How one model group splits a DiT: cfg × tp × ulysses × ring ranks, and its validation.
//
// The world is divided into model groups of group_size() ranks; the groups run different assets
// (data parallel). Inside a group, ranks are ordered with tp fastest, then ulysses, ring and cfg,
// so the chattiest split (tp) sits on neighbouring ranks, i.e. the same node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace motionfarm::parallel {

struct ParallelLayout {
  int cfg = 1;      // 1 or 2: conditional/unconditional branches on two halves of the group
  int tp = 1;       // Megatron tensor parallel degree
  int ulysses = 1;  // Ulysses sequence parallel degree (all-to-all heads <-> sequence)
  int ring = 1;     // ring-attention sequence parallel degree

  int group_size() const { return cfg * tp * ulysses * ring; }
  int sequence_parallel() const { return ulysses * ring; }
  // "cfg=2,tp=1,ulysses=2,ring=1"
  std::string to_string() const;
  // Parses "cfg=C,tp=T,ulysses=U,ring=R" (any subset, any order; missing ones are 1).
  // Throws ConfigError naming the valid keys for anything else.
  static ParallelLayout parse(const std::string& text);
};

// The model dimensions a layout must divide.
struct LayoutModelDims {
  int64_t num_heads = 0;
  int64_t dim = 0;
  int64_t ffn_dim = 0;
};

// Every problem of `layout` for this model and world, each with the fix ("40 heads are not
// divisible by ulysses 16: use ulysses 8 × ring 2"). Empty when the layout can run.
std::vector<std::string> layout_problems(const ParallelLayout& layout, const LayoutModelDims& model,
                                         int world_size);

// Throws ConfigError listing layout_problems() when there are any.
void validate_layout(const ParallelLayout& layout, const LayoutModelDims& model, int world_size);

}  // namespace motionfarm::parallel
