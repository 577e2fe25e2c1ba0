// The causal 3D convolution of the Wan VAEs and the feature cache that lets it run chunk by chunk.
//
// The reference (`CausalConv3d`, `feat_cache` in wan/modules/vae.py) pads time only at the front,
// so an output frame sees only input frames at or before it. Encode and decode run one chunk of
// frames at a time; before each cached convolution the last two input frames are remembered and
// stand in for the zero padding of the next chunk. The result equals a causal pass over the whole
// clip while memory stays that of one chunk. Every cached layer takes the next slot of the
// VaeFeatureCache in a fixed order per chunk, as the reference's `feat_idx` counter does.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <deque>
#include <string>

#include "model/vae_parameters.h"
#include "model/vae_row_split.h"

namespace motionfarm::model {

// The 3x3x3 kernel and one-voxel padding of most of the VAE's convolutions.
inline constexpr std::array<int64_t, 3> kVaeKernel3{3, 3, 3};
inline constexpr std::array<int64_t, 3> kVaePad1{1, 1, 1};

// What one cached layer remembers of the chunks before the current one.
struct VaeCacheSlot {
  enum class State {
    kEmpty,      // no chunk seen yet: the layer pads with zeros
    kSkipFirst,  // temporal upsampling after the first chunk (the reference's 'Rep' marker)
    kFrames,     // `frames` holds the last (up to two) input frames of the previous chunks
  };
  State state = State::kEmpty;
  at::Tensor frames;  // [B, C, <=2, H, W]
};

// The per-stream state of a VAE encoder or decoder. Owned by whoever streams (VaeStreamingDecoder,
// one encode call); the modules themselves stay const and can serve several streams.
class VaeFeatureCache {
 public:
  // Call before each chunk: slots are handed out again from the first.
  void begin_chunk() { cursor_ = 0; }
  // The next layer's slot (created empty on the first chunk). References stay valid until clear().
  VaeCacheSlot& next_slot();
  void clear();
  // Bytes held by the cached frames (for memory reports and tests).
  int64_t bytes() const;

  // Set when the stream decodes one horizontal band of each frame (parallel decode): the layers
  // then take their row padding from the neighbouring bands and gather the rows for attention.
  // Borrowed (must outlive the stream's chunks); null, the default, for whole frames.
  void set_row_split(VaeRowSplit* split) { row_split_ = split; }
  VaeRowSplit* row_split() const { return row_split_; }

 private:
  std::deque<VaeCacheSlot> slots_;
  std::size_t cursor_ = 0;
  VaeRowSplit* row_split_ = nullptr;
};

// nn.Conv3d whose time padding (2 * padding[0] frames) sits in front of the clip.
class CausalConv3d {
 public:
  CausalConv3d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 3> kernel,
               std::array<int64_t, 3> padding, std::array<int64_t, 3> stride = {1, 1, 1});

  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit);

  // x [B, Cin, T, H, W] -> [B, Cout, T', H', W']; `past` (may be undefined) replaces as many of
  // the front zero frames as it has frames.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& past = at::Tensor()) const;
  // forward() with the slot's frames as `past`, then remembers x's last two frames in the slot.
  // With a `split`, x is one band of rows: its row padding comes from the neighbouring bands, and
  // the slot remembers the frames with those halo rows.
  at::Tensor forward_cached(const at::Tensor& x, VaeCacheSlot& slot,
                            VaeRowSplit* split = nullptr) const;

 private:
  at::Tensor convolve(const at::Tensor& x, const at::Tensor& past, int64_t row_padding) const;

  int64_t in_channels_;
  int64_t out_channels_;
  std::array<int64_t, 3> kernel_;
  std::array<int64_t, 3> padding_;
  std::array<int64_t, 3> stride_;
  at::Tensor weight_;  // [Cout, Cin, kt, kh, kw]
  at::Tensor bias_;    // [Cout]
};

// nn.Conv2d applied to every frame of a [B, C, T, H, W] clip (square kernel, symmetric padding).
class FrameConv2d {
 public:
  FrameConv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t padding,
              int64_t stride = 1);

  void visit_parameters(const std::string& prefix, const VaeParameterVisitor& visit);
  // With a `split`, x is one band of rows and the row padding comes from the neighbouring bands.
  at::Tensor forward(const at::Tensor& x, VaeRowSplit* split = nullptr) const;

 private:
  int64_t in_channels_;
  int64_t out_channels_;
  int64_t kernel_;
  int64_t padding_;
  int64_t stride_;
  at::Tensor weight_;  // [Cout, Cin, k, k]
  at::Tensor bias_;    // [Cout]
};

}  // namespace motionfarm::model
