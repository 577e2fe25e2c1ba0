// Frames split into horizontal bands of rows, one per rank of a group, and the communication
// between the bands as small named functions (the parallel VAE decode's halo exchange and
// gathers, in the manner of mappings.h).
//
// Every function that takes a Communicator is a collective over it: every rank calls it, in the
// same order, with its own band (rank r holds band r, counted from the top of the frame).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "parallel/communicator.h"

namespace motionfarm::parallel {

// How `rows` rows are split into `parts` bands: as evenly as possible, the first rows % parts
// bands one row taller, in order from the top. Cheap to copy.
class RowBands {
 public:
  // Throws ConfigError when there are fewer rows than parts: every band needs a row.
  static RowBands split(int64_t rows, int64_t parts);

  int64_t parts() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t rows() const { return offsets_.back(); }
  int64_t begin(int64_t part) const { return offsets_.at(part); }
  int64_t rows_in(int64_t part) const { return offsets_.at(part + 1) - offsets_.at(part); }
  int64_t max_rows() const { return rows_in(0); }
  // The same split at `factor` times the resolution: every band `factor` times taller, so a
  // band of the upsampled frame is the upsampled band.
  RowBands scaled(int64_t factor) const;

 private:
  std::vector<int64_t> offsets_;  // parts + 1 row offsets, from 0 to rows
};

// Collective: this rank's band (rows along `dim`) with `halo` rows of the band above in front and
// of the band below behind; zeros above the first band and below the last, as a convolution's
// zero padding of the whole frame. Each band must have at least `halo` rows. One exchange with
// each neighbour, both in flight together.
at::Tensor exchange_row_halo(const at::Tensor& band, int64_t dim, int64_t halo, Communicator& comm);

// Collective: every rank's band concatenated along `dim` in rank order, on every rank. `bands`
// gives every band's rows along `dim` (they may differ by one band's worth of scale).
at::Tensor gather_row_bands(const at::Tensor& band, int64_t dim, const RowBands& bands,
                            Communicator& comm);

// Collective: the same concatenation on `root` only; the other ranks send their band and get an
// undefined tensor back.
at::Tensor gather_row_bands_to_root(const at::Tensor& band, int64_t dim, const RowBands& bands,
                                    int root, Communicator& comm);

}  // namespace motionfarm::parallel
