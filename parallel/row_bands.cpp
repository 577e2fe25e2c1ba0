#include "parallel/row_bands.h"

#include <memory>

#include "core/check.h"

namespace motionfarm::parallel {
namespace {

// Message tags of the band traffic. Messages between two ranks with one tag arrive in order, and
// each function completes its messages before it returns, so fixed tags cannot mix calls up.
constexpr int kHaloTag = 7301;
constexpr int kGatherTag = 7302;

void check_band(const at::Tensor& band, int64_t dim, const RowBands& bands, Communicator& comm) {
  MF_CHECK(dim >= 0 && dim < band.dim(), CommError,
           "row dimension " << dim << " is not one of the band's " << band.dim());
  MF_CHECK_EQ(bands.parts(), comm.size(), CommError, "one band per rank of the group");
  MF_CHECK_EQ(band.size(dim), bands.rows_in(comm.rank()), CommError,
              "rank " << comm.rank() << "'s band has the wrong row count");
}

}  // namespace

RowBands RowBands::split(int64_t rows, int64_t parts) {
  MF_CHECK_GT(parts, 0, ConfigError, "rows need at least one band");
  MF_CHECK_GE(rows, parts, ConfigError,
              "a frame of " << rows << " latent rows cannot be split over " << parts
                            << " ranks: every rank needs at least one row (decode on fewer "
                               "ranks, or a taller frame)");
  RowBands bands;
  bands.offsets_.push_back(0);
  for (int64_t part = 0; part < parts; ++part) {
    const int64_t taller = part < rows % parts ? 1 : 0;
    bands.offsets_.push_back(bands.offsets_.back() + rows / parts + taller);
  }
  return bands;
}

RowBands RowBands::scaled(int64_t factor) const {
  MF_CHECK_GT(factor, 0, ConfigError, "a band scale must be positive");
  RowBands bands = *this;
  for (int64_t& offset : bands.offsets_) offset *= factor;
  return bands;
}

at::Tensor exchange_row_halo(const at::Tensor& band, int64_t dim, int64_t halo,
                             Communicator& comm) {
  const int64_t rows = band.size(dim);
  MF_CHECK(halo >= 0 && halo <= rows, CommError,
           "a band of " << rows << " rows cannot lend " << halo << " halo rows");
  std::vector<int64_t> shape = band.sizes().vec();
  shape[dim] = halo;
  const int rank = comm.rank();
  const bool has_above = rank > 0;
  const bool has_below = rank + 1 < comm.size();
  // [.., halo, ..]: what the neighbours lend, zeros at the frame's edges.
  at::Tensor above =
      has_above ? at::empty(shape, band.options()) : at::zeros(shape, band.options());
  at::Tensor below =
      has_below ? at::empty(shape, band.options()) : at::zeros(shape, band.options());
  const at::Tensor top = band.narrow(dim, 0, halo).contiguous();
  const at::Tensor bottom = band.narrow(dim, rows - halo, halo).contiguous();
  // Each neighbouring pair swaps one message each way: my top rows for the band above's bottom.
  std::unique_ptr<PendingTransfer> up;
  std::unique_ptr<PendingTransfer> down;
  if (has_above) up = comm.start_exchange(top, rank - 1, above, rank - 1, kHaloTag);
  if (has_below) down = comm.start_exchange(bottom, rank + 1, below, rank + 1, kHaloTag);
  if (up) up->wait();
  if (down) down->wait();
  return at::cat({above, band, below}, dim);
}

at::Tensor gather_row_bands(const at::Tensor& band, int64_t dim, const RowBands& bands,
                            Communicator& comm) {
  check_band(band, dim, bands, comm);
  if (comm.size() == 1) return band;
  // all_gather needs equal shapes and concatenates along dim 0: rows to the front, shorter
  // bands padded to the tallest, the padding dropped after.
  const at::Tensor moved = band.transpose(0, dim);
  std::vector<int64_t> shape = moved.sizes().vec();
  shape[0] = bands.max_rows();
  at::Tensor padded = at::zeros(shape, band.options());
  padded.narrow(0, 0, moved.size(0)).copy_(moved);
  const at::Tensor all = comm.all_gather(padded);  // [P * max_rows, ...]
  std::vector<at::Tensor> parts;
  for (int64_t part = 0; part < bands.parts(); ++part) {
    parts.push_back(all.narrow(0, part * bands.max_rows(), bands.rows_in(part)));
  }
  return at::cat(parts, 0).transpose(0, dim).contiguous();
}

at::Tensor gather_row_bands_to_root(const at::Tensor& band, int64_t dim, const RowBands& bands,
                                    int root, Communicator& comm) {
  check_band(band, dim, bands, comm);
  MF_CHECK(root >= 0 && root < comm.size(), CommError,
           "root " << root << " is not a rank of the group of " << comm.size());
  if (comm.rank() != root) {
    comm.send(band.contiguous(), root, kGatherTag);
    return at::Tensor();
  }
  std::vector<int64_t> shape = band.sizes().vec();
  shape[dim] = bands.rows();
  at::Tensor whole = at::empty(shape, band.options());
  for (int part = 0; part < comm.size(); ++part) {
    at::Tensor rows = whole.narrow(dim, bands.begin(part), bands.rows_in(part));
    if (part == root) {
      rows.copy_(band);
      continue;
    }
    std::vector<int64_t> part_shape = shape;
    part_shape[dim] = bands.rows_in(part);
    at::Tensor received = at::empty(part_shape, band.options());
    comm.recv(received, part, kGatherTag);
    rows.copy_(received);
  }
  return whole;
}

}  // namespace motionfarm::parallel
