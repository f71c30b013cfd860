#pragma once
// Big-endian 32-bit words, as SPDY/3.1 frames and header blocks carry them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace silo::cri::streaming {

// The word at b[off..off+4); the caller has checked the bounds.
inline uint32_t Be32(std::string_view b, size_t off) {
  return (uint32_t(uint8_t(b[off])) << 24) | (uint32_t(uint8_t(b[off + 1])) << 16) |
         (uint32_t(uint8_t(b[off + 2])) << 8) | uint32_t(uint8_t(b[off + 3]));
}

inline void PutBe32(std::string* out, uint32_t v) {
  out->push_back(char(v >> 24));
  out->push_back(char(v >> 16));
  out->push_back(char(v >> 8));
  out->push_back(char(v));
}

}  // namespace silo::cri::streaming
