#include "tests/unit/coordinator/manifest_fixtures.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace motionfarm::testing {
namespace {

uint32_t crc32(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_be32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

void put_chunk(std::string& out, const std::string& type, const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const std::string typed = type + data;
  out += typed;
  put_be32(out, crc32(typed));
}

}  // namespace

std::string png_bytes(int64_t width, int64_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string header;
  put_be32(header, static_cast<uint32_t>(width));
  put_be32(header, static_cast<uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  put_chunk(png, "IHDR", header);

  std::string raw;
  for (int64_t y = 0; y < height; ++y) {
    raw += '\0';  // filter: none
    raw += std::string(static_cast<size_t>(width * 3), '\x80');
  }
  std::string zlib = "\x78\x01";
  for (size_t offset = 0; offset < raw.size() || offset == 0; offset += 65535) {
    const size_t length = std::min<size_t>(65535, raw.size() - offset);
    const bool last = offset + length >= raw.size();
    zlib += static_cast<char>(last ? 1 : 0);
    zlib += static_cast<char>(length & 0xFF);
    zlib += static_cast<char>(length >> 8);
    zlib += static_cast<char>(~length & 0xFF);
    zlib += static_cast<char>((~length >> 8) & 0xFF);
    zlib += raw.substr(offset, length);
    if (last) break;
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put_be32(zlib, (b << 16) | a);
  put_chunk(png, "IDAT", zlib);
  put_chunk(png, "IEND", "");
  return png;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

const coordinator::Diagnostic* find_diagnostic(const coordinator::ManifestReport& report,
                                               const std::string& text) {
  for (const auto& diagnostic : report.diagnostics) {
    if (diagnostic.message.find(text) != std::string::npos) return &diagnostic;
  }
  return nullptr;
}

std::string describe(const coordinator::ManifestReport& report) {
  std::string text;
  for (const auto& diagnostic : report.diagnostics) text += diagnostic.to_string() + "\n";
  return text.empty() ? "(no diagnostics)\n" : text;
}

}  // namespace motionfarm::testing
