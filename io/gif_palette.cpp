#include "io/gif_palette.h"

#include <algorithm>
#include <limits>

namespace motionfarm::io {
namespace {

constexpr int kBits = 5;
constexpr int kLevels = 1 << kBits;

int bin_of(const uint8_t* pixel) {
  return ((pixel[0] >> (8 - kBits)) << (2 * kBits)) | ((pixel[1] >> (8 - kBits)) << kBits) |
         (pixel[2] >> (8 - kBits));
}

struct Bin {
  int index = 0;  // r << 10 | g << 5 | b at 5 bits
  uint64_t count = 0;
  uint64_t sum[3] = {0, 0, 0};
  int channel(int c) const { return (index >> (kBits * (2 - c))) & (kLevels - 1); }
};

struct Box {
  size_t begin;
  size_t end;
};

// Widest channel of a box and its extent.
std::pair<int, int> widest_channel(const std::vector<Bin>& bins, const Box& box) {
  int best_channel = 0;
  int best_range = -1;
  for (int c = 0; c < 3; ++c) {
    int low = kLevels, high = -1;
    for (size_t i = box.begin; i < box.end; ++i) {
      low = std::min(low, bins[i].channel(c));
      high = std::max(high, bins[i].channel(c));
    }
    if (high - low > best_range) {
      best_range = high - low;
      best_channel = c;
    }
  }
  return {best_channel, best_range};
}

}  // namespace

PalettedImage quantize_to_palette(const uint8_t* rgb, int width, int height, int stride) {
  std::vector<Bin> histogram(kLevels * kLevels * kLevels);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = rgb + size_t(y) * stride;
    for (int x = 0; x < width; ++x) {
      Bin& bin = histogram[bin_of(row + 3 * x)];
      ++bin.count;
      for (int c = 0; c < 3; ++c) bin.sum[c] += row[3 * x + c];
    }
  }
  std::vector<Bin> bins;
  for (int i = 0; i < int(histogram.size()); ++i) {
    if (histogram[i].count > 0) {
      histogram[i].index = i;
      bins.push_back(histogram[i]);
    }
  }

  // Median cut: split the box with the most pixels times extent at its pixel-count median.
  std::vector<Box> boxes = {{0, bins.size()}};
  while (boxes.size() < 256) {
    size_t chosen = boxes.size();
    uint64_t best_score = 0;
    for (size_t b = 0; b < boxes.size(); ++b) {
      if (boxes[b].end - boxes[b].begin < 2) continue;
      uint64_t pixels = 0;
      for (size_t i = boxes[b].begin; i < boxes[b].end; ++i) pixels += bins[i].count;
      const uint64_t score = pixels * uint64_t(widest_channel(bins, boxes[b]).second + 1);
      if (score > best_score) {
        best_score = score;
        chosen = b;
      }
    }
    if (chosen == boxes.size()) break;  // every box is a single colour
    Box box = boxes[chosen];
    const int channel = widest_channel(bins, box).first;
    std::sort(
        bins.begin() + box.begin, bins.begin() + box.end,
        [channel](const Bin& a, const Bin& b) { return a.channel(channel) < b.channel(channel); });
    uint64_t total = 0;
    for (size_t i = box.begin; i < box.end; ++i) total += bins[i].count;
    uint64_t running = 0;
    size_t split = box.begin + 1;
    for (size_t i = box.begin; i + 1 < box.end; ++i) {
      running += bins[i].count;
      split = i + 1;
      if (2 * running >= total) break;
    }
    boxes[chosen] = {box.begin, split};
    boxes.push_back({split, box.end});
  }

  PalettedImage image;
  image.palette.fill(0xFF000000u);
  image.colours_used = int(boxes.size());
  std::vector<std::array<int, 3>> colours;
  for (size_t b = 0; b < boxes.size(); ++b) {
    uint64_t count = 0, sum[3] = {0, 0, 0};
    for (size_t i = boxes[b].begin; i < boxes[b].end; ++i) {
      count += bins[i].count;
      for (int c = 0; c < 3; ++c) sum[c] += bins[i].sum[c];
    }
    std::array<int, 3> colour{};
    for (int c = 0; c < 3; ++c) colour[c] = count ? int((sum[c] + count / 2) / count) : 0;
    colours.push_back(colour);
    image.palette[b] = 0xFF000000u | (uint32_t(colour[0]) << 16) | (uint32_t(colour[1]) << 8) |
                       uint32_t(colour[2]);
  }

  // Each used bin maps to the palette entry nearest to the bin's mean colour.
  std::vector<uint8_t> lookup(histogram.size(), 0);
  for (const Bin& bin : bins) {
    int mean[3];
    for (int c = 0; c < 3; ++c) mean[c] = int(bin.sum[c] / bin.count);
    int best = 0;
    int best_distance = std::numeric_limits<int>::max();
    for (size_t p = 0; p < colours.size(); ++p) {
      int distance = 0;
      for (int c = 0; c < 3; ++c) distance += (mean[c] - colours[p][c]) * (mean[c] - colours[p][c]);
      if (distance < best_distance) {
        best_distance = distance;
        best = int(p);
      }
    }
    lookup[bin.index] = uint8_t(best);
  }
  image.indices.resize(size_t(width) * height);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = rgb + size_t(y) * stride;
    for (int x = 0; x < width; ++x)
      image.indices[size_t(y) * width + x] = lookup[bin_of(row + 3 * x)];
  }
  return image;
}

}  // namespace motionfarm::io
