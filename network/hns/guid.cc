#include "network/hns/guid.h"

#include <cstdint>
#include <cstdio>

namespace silo::network::hns {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads `digits` hex digits at text[pos...] into *out.
bool ReadHex(std::string_view text, size_t pos, int digits, uint64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < digits; ++i) {
    const int h = HexValue(text[pos + i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(h);
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<HcnGuid> ParseGuid(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
    return std::nullopt;
  }
  HcnGuid g;
  uint64_t v = 0;
  if (!ReadHex(text, 0, 8, &v)) return std::nullopt;
  g.data1 = static_cast<uint32_t>(v);
  if (!ReadHex(text, 9, 4, &v)) return std::nullopt;
  g.data2 = static_cast<uint16_t>(v);
  if (!ReadHex(text, 14, 4, &v)) return std::nullopt;
  g.data3 = static_cast<uint16_t>(v);
  // data4: two bytes, a dash, then six bytes.
  static constexpr size_t kByteOffsets[8] = {19, 21, 24, 26, 28, 30, 32, 34};
  for (int i = 0; i < 8; ++i) {
    if (!ReadHex(text, kByteOffsets[i], 2, &v)) return std::nullopt;
    g.data4[i] = static_cast<uint8_t>(v);
  }
  return g;
}

std::string FormatGuid(const HcnGuid& g) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", static_cast<unsigned>(g.data1),
                static_cast<unsigned>(g.data2), static_cast<unsigned>(g.data3), g.data4[0], g.data4[1], g.data4[2],
                g.data4[3], g.data4[4], g.data4[5], g.data4[6], g.data4[7]);
  return buf;
}

std::optional<std::string> CanonicalGuid(std::string_view text) {
  std::optional<HcnGuid> g = ParseGuid(text);
  if (!g) return std::nullopt;
  return FormatGuid(*g);
}

bool IsZeroGuid(const HcnGuid& g) {
  if (g.data1 != 0 || g.data2 != 0 || g.data3 != 0) return false;
  for (uint8_t b : g.data4) {
    if (b != 0) return false;
  }
  return true;
}

namespace {

constexpr uint32_t kSiloMarkData1 = 0x5110c0de;
constexpr uint16_t kSiloMarkData2 = 0x5110;
constexpr uint16_t kVersion8 = 0x8000;  // top nibble of data3
constexpr uint8_t kVariantRfc = 0x80;   // top two bits of data4[0]: 10

// FNV-1a, 64 bits: stable across builds and platforms, which the GUID must be
// (it is recomputed from the sandbox id after an upgrade). Not a security
// boundary: sandbox ids are silod's own random ids.
uint64_t Fnv1a64(std::string_view text, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

HcnGuid SiloNamespaceGuid(std::string_view sandbox_id) {
  const uint64_t a = Fnv1a64(sandbox_id, 0xcbf29ce484222325ULL);
  const uint64_t b = Fnv1a64(sandbox_id, a ^ 0x9e3779b97f4a7c15ULL);
  HcnGuid g;
  g.data1 = kSiloMarkData1;
  g.data2 = kSiloMarkData2;
  g.data3 = static_cast<uint16_t>(kVersion8 | (a & 0x0fff));
  g.data4[0] = static_cast<uint8_t>(kVariantRfc | ((a >> 12) & 0x3f));
  for (int i = 1; i < 8; ++i) g.data4[i] = static_cast<uint8_t>(b >> (8 * (i - 1)));
  return g;
}

bool HasSiloMark(const HcnGuid& g) {
  return g.data1 == kSiloMarkData1 && g.data2 == kSiloMarkData2 && (g.data3 & 0xf000) == kVersion8 &&
         (g.data4[0] & 0xc0) == kVariantRfc;
}

}  // namespace silo::network::hns
