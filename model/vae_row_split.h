// The hook that lets the VAE decoder run on one horizontal band of each frame, so a group of
// devices can decode a clip together (parallel/parallel_vae_decoder.h implements it over a
// communicator; model/ knows nothing of how the bands talk).
//
// Everything else the decoder does is local to a pixel or a column (RMS norm over channels,
// SiLU, 1x1 convs, nearest 2x upsampling, the time convs and the causal cache), so a band needs its
// neighbours only where a 3x3 convolution reads rows above and below it, and where attention reads
// the whole frame. A stream decodes a band when its VaeFeatureCache carries a VaeRowSplit.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace motionfarm::model {

class VaeRowSplit {
 public:
  virtual ~VaeRowSplit() = default;

  // band [B, C, T, h, W] (this band's rows) -> [B, C, T, h + 2 * rows, W]: `rows` rows of the
  // band above on top and of the band below underneath; zeros beyond the frame's top and bottom
  // edges, where the whole-frame convolution pads with zeros. Every band calls it in the same
  // order (the implementation may exchange the rows with the neighbouring bands).
  virtual at::Tensor with_row_halo(const at::Tensor& band, int64_t rows) = 0;

  // Every band's `band` concatenated along `dim` (its rows) in frame order, on every band: the
  // whole frame's rows. Every band calls it in the same order.
  virtual at::Tensor gather_rows(const at::Tensor& band, int64_t dim) = 0;
};

}  // namespace motionfarm::model
