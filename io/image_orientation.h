// EXIF orientation: how a camera says its stored pixels must be turned to look upright.
#pragma once

#include <ATen/ATen.h>

namespace motionfarm::io {

// Returns `image` ([C, H, W]) turned upright for EXIF orientation 1..8 (TIFF/EXIF tag 0x0112):
// 1 as stored, 2 mirrored left-right, 3 rotated 180°, 4 mirrored top-bottom, 5 transposed,
// 6 rotated 90° clockwise, 7 transversed, 8 rotated 90° counter-clockwise. 5..8 swap H and W.
// Throws InputError for any other value.
at::Tensor apply_exif_orientation(const at::Tensor& image, int orientation);

}  // namespace motionfarm::io
