#include "io/image_orientation.h"

#include "core/check.h"

namespace motionfarm::io {

at::Tensor apply_exif_orientation(const at::Tensor& image, int orientation) {
  MF_CHECK_EQ(image.dim(), 3, InputError, "an image tensor is [C, H, W]");
  // transposed: [C, W, H], transposed[c][i][j] == image[c][j][i].
  switch (orientation) {
    case 1:
      return image;
    case 2:
      return image.flip({2});
    case 3:
      return image.flip({1, 2});
    case 4:
      return image.flip({1});
    case 5:
      return image.transpose(1, 2).contiguous();
    case 6:
      return image.transpose(1, 2).flip({2});
    case 7:
      return image.transpose(1, 2).flip({1, 2});
    case 8:
      return image.transpose(1, 2).flip({1});
    default:
      break;
  }
  MF_CHECK(false, InputError, "EXIF orientation " << orientation << " is not one of 1..8");
  return image;
}

}  // namespace motionfarm::io
