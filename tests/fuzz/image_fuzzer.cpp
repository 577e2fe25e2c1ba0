// libFuzzer target: the image header reader (io/image_header.h, in memory) and the FFmpeg decoder
// wrapper (io/image_decoder.h, through a file, as the rank reads plates).
//
// Both must either throw InputError naming the file or succeed. A decoded image must be
// [3, H, W] float within the pixel limit, every value finite and in [-1, 1]. The limit is 1 MP
// here (64 MP in production) so that one input decodes in milliseconds; the check that enforces
// it is the same.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/image_decoder.h"
#include "io/image_header.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr int64_t kFuzzMaxPixels = int64_t{1} << 20;

void check_decoded(const motionfarm::io::DecodedImage& image) {
  using motionfarm::fuzz::invariant_failed;
  const at::Tensor& pixels = image.pixels;
  if (!pixels.defined() || pixels.dim() != 3 || pixels.size(0) != 3 ||
      pixels.scalar_type() != at::kFloat) {
    invariant_failed("decoded pixels are not a [3, H, W] float tensor");
  }
  if (pixels.size(1) * pixels.size(2) > kFuzzMaxPixels || pixels.numel() == 0) {
    invariant_failed("decoded image is empty or over the pixel limit");
  }
  if (!at::isfinite(pixels).all().item<bool>() || pixels.min().item<float>() < -1.0f ||
      pixels.max().item<float>() > 1.0f) {
    invariant_failed("decoded pixels are not finite values in [-1, 1]");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = motionfarm::io::read_image_header(data, size, "fuzz.img");
    if (header.width < 0 || header.height < 0) {
      motionfarm::fuzz::invariant_failed("negative image size from the header");
    }
  } catch (const motionfarm::InputError&) {
  }
  const std::string path = motionfarm::fuzz::write_scratch_file("fuzz.img", data, size);
  motionfarm::io::ImageDecodeOptions options;
  options.max_pixels = kFuzzMaxPixels;
  try {
    check_decoded(motionfarm::io::decode_image(path, options));
  } catch (const motionfarm::InputError&) {
  }
  return 0;
}
