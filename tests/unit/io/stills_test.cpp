// Review stills: poster frames round-trip through PNG exactly and through JPEG within a stated
// PSNR, and a contact sheet built from streamed frames holds the evenly spaced frames in a grid
// with the right frame numbers stamped on them.
#include "io/stills.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "io/digit_font.h"
#include "io/image_decoder.h"
#include "tests/support/test_paths.h"
#include "tests/unit/io/media_test_support.h"

namespace motionfarm::io {
namespace {

using motionfarm::testing::ScratchDir;
using namespace media_test;

TEST(Stills, PosterFramePngIsExactAndJpegIsClose) {
  ScratchDir scratch("stills");
  const at::Tensor frame = moving_gradient(1, 96, 128)[0];
  write_still(frame, scratch.file("poster.png"));
  const DecodedImage png = decode_image(scratch.file("poster.png"));
  EXPECT_EQ(psnr_8bit(png.pixels, frame), INFINITY);
  write_still(frame, scratch.file("poster.jpg"));
  const DecodedImage jpeg = decode_image(scratch.file("poster.jpg"));
  EXPECT_EQ(jpeg.format, "jpeg");
  EXPECT_GE(psnr_8bit(jpeg.pixels, frame), 35.0);  // quality 95, smooth pattern
  EXPECT_EQ(ffprobe(scratch.file("poster.jpg"))["streams"][0]["codec_name"], "mjpeg");
  // Nothing but the two stills is left in the folder.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(scratch.path()),
                          std::filesystem::directory_iterator()),
            2);
  EXPECT_THROW(write_still(frame, scratch.file("poster.tga")), ConfigError);
  StillOptions bad;
  bad.jpeg_quality = 0;
  EXPECT_THROW(write_still(frame, scratch.file("x.jpg"), bad), ConfigError);
}

TEST(ContactSheet, EvenlySpacedIndicesIncludeFirstAndLast) {
  EXPECT_EQ(contact_sheet_frame_indices(81, 5), (std::vector<int64_t>{0, 20, 40, 60, 80}));
  EXPECT_EQ(contact_sheet_frame_indices(40, 6), (std::vector<int64_t>{0, 8, 16, 23, 31, 39}));
  EXPECT_EQ(contact_sheet_frame_indices(3, 12), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(contact_sheet_frame_indices(10, 1), (std::vector<int64_t>{0}));
}

TEST(ContactSheet, GridHoldsTheChosenFramesWithTheirNumbers) {
  ScratchDir scratch("contact-sheet");
  const int64_t total = 40, height = 60, width = 80;
  ContactSheetOptions options;
  options.frame_count = 6;
  options.columns = 3;
  options.thumbnail_width = 40;  // thumbnails 40x30
  options.spacing = 2;
  options.label_scale = 1;
  ContactSheet sheet(total, width, height, options);
  // Frame i is a flat grey that encodes i, streamed in uneven chunks.
  const at::Tensor frames =
      at::linspace(-0.9, 0.9, total).view({total, 1, 1, 1}).expand({total, 3, height, width});
  for (int64_t first = 0; first < total; first += 7) {
    sheet.add_frames(frames.narrow(0, first, std::min<int64_t>(7, total - first)));
  }
  ASSERT_TRUE(sheet.complete());
  EXPECT_THROW(sheet.add_frames(frames.narrow(0, 0, 1)), ConfigError);
  const at::Tensor image = sheet.image();
  // 3 columns x 2 rows of 40x30 with 2-pixel spacing.
  ASSERT_EQ(image.sizes(), (at::IntArrayRef{3, 2 * 30 + 3 * 2, 3 * 40 + 4 * 2}));
  const std::vector<int64_t> expected = {0, 8, 16, 23, 31, 39};
  EXPECT_EQ(sheet.frame_indices(), expected);
  for (size_t cell = 0; cell < expected.size(); ++cell) {
    const int64_t x = 2 + int64_t(cell % 3) * 42, y = 2 + int64_t(cell / 3) * 32;
    const at::Tensor thumbnail = image.narrow(1, y, 30).narrow(2, x, 40);
    // Away from the label, the thumbnail is its frame's grey.
    EXPECT_NEAR(thumbnail[0][25][35].item<float>(), frames[expected[cell]][0][0][0].item<float>(),
                1e-4)
        << "cell " << cell;
    // The label region equals the font drawn on its own: the right number, in the right place.
    at::Tensor label = at::zeros({3, 30, 40});
    const int64_t label_width = draw_number(label, expected[cell], 1, 1, 1);
    EXPECT_TRUE(at::equal(thumbnail.narrow(1, 1, 9).narrow(2, 1, label_width),
                          label.narrow(1, 1, 9).narrow(2, 1, label_width)))
        << "label of cell " << cell << " is not frame " << expected[cell];
  }
  // Background between cells.
  EXPECT_NEAR(image[0][0][0].item<float>(), 2 * 0.1f - 1, 1e-6);

  sheet.write(scratch.file("sheet.png"));
  EXPECT_EQ(psnr_8bit(decode_image(scratch.file("sheet.png")).pixels, image), INFINITY);
  sheet.write(scratch.file("sheet.jpg"));  // 128x66: even, written whole
  EXPECT_EQ(decode_image(scratch.file("sheet.jpg")).pixels.size(2), 128);
}

TEST(ContactSheet, LeavesTheCallersFramesAlone) {
  // Frames already at the thumbnail size are not resized; the numbers go on a copy.
  ContactSheetOptions options;
  options.thumbnail_width = 32;
  ContactSheet sheet(2, 32, 32, options);
  const at::Tensor frames = at::zeros({2, 3, 32, 32});
  sheet.add_frames(frames);
  EXPECT_EQ(frames.abs().max().item<float>(), 0.0f);
  EXPECT_GT(sheet.image().max().item<float>(), 0.5f);  // the stamped numbers are on the sheet
}

TEST(ContactSheet, IncompleteSheetIsNotWritten) {
  ScratchDir scratch("contact-incomplete");
  ContactSheet sheet(10, 32, 32);
  sheet.add_frames(at::zeros({4, 3, 32, 32}));
  EXPECT_FALSE(sheet.complete());
  EXPECT_THROW(sheet.write(scratch.file("sheet.png")), Error);
  EXPECT_FALSE(std::filesystem::exists(scratch.file("sheet.png")));
}

TEST(DigitFont, GlyphsAreDistinctAndDrawnAtScale) {
  for (int a = 0; a < 10; ++a) {
    for (int b = a + 1; b < 10; ++b) {
      EXPECT_NE(std::memcmp(digit_glyph(a), digit_glyph(b), 7), 0) << a << " vs " << b;
    }
  }
  at::Tensor image = at::zeros({3, 20, 40});
  // "1" at scale 2: glyph row 0 is 00100 -> one lit 2x2 block at column 2 of the glyph.
  const int64_t width = draw_number(image, 1, 0, 0, 2);
  EXPECT_EQ(width, 6 * 2 + 2);
  EXPECT_FLOAT_EQ(image[0][2][2 + 2 * 2].item<float>(), 1.0f);   // lit
  EXPECT_FLOAT_EQ(image[0][2][2 + 2 * 1].item<float>(), -1.0f);  // box, unlit
  EXPECT_FLOAT_EQ(image[0][19][39].item<float>(), 0.0f);         // untouched outside the box
}

}  // namespace
}  // namespace motionfarm::io
