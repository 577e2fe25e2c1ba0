// How tensors are laid out in a latent checkpoint file: chunk size and optional compression.
#pragma once

#include <cstdint>

namespace motionfarm::io {

struct TensorDatasetOptions {
  // 0 stores the bytes as they are; 1-9 compresses each chunk with byte shuffle + gzip at that
  // level when the HDF5 build has both filters (it is stored uncompressed otherwise). Latents are
  // near-random floats: expect a few percent, at a large cost in write speed.
  int compression_level = 0;
  // Chunks are cut along the leading dimensions to at most this many bytes.
  int64_t chunk_bytes = 4 << 20;

  // Throws ConfigError for a level outside 0-9 or a chunk size below 1 KiB.
  void validate() const;
};

}  // namespace motionfarm::io
