// Fuzz target for the WebSocket frame parser; see spdy_frame_fuzz.cc.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cri/streaming/websocket_frame.h"

namespace ws = silo::cri::streaming::ws;

std::vector<std::string> SiloFuzzSeeds() {
  std::vector<std::string> seeds;
  auto add = [&](ws::Opcode op, std::string_view payload, bool fin, std::optional<uint32_t> mask) {
    auto s = ws::SerializeFrame(op, payload, fin, mask);
    if (s.ok()) seeds.push_back(*s);
  };
  add(ws::Opcode::kBinary, std::string("\x01hello", 6), true, 0x12345678u);
  add(ws::Opcode::kText, "1aGVsbG8=", true, std::nullopt);
  add(ws::Opcode::kClose, ws::MakeClosePayload(1000, "bye"), true, 0xdeadbeefu);
  add(ws::Opcode::kPing, "p", true, std::nullopt);
  add(ws::Opcode::kBinary, std::string(300, 'x'), false, 1u);
  add(ws::Opcode::kContinuation, std::string(70000, 'y'), true, std::nullopt);
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  while (!buf.empty()) {
    size_t consumed = 0;
    auto parsed = ws::ParseFrame(buf, 1 << 17, ws::MaskPolicy::kAny, &consumed);
    if (!parsed.ok() || !parsed->has_value()) break;
    if (consumed == 0 || consumed > buf.size()) __builtin_trap();
    const ws::Frame& f = **parsed;
    std::optional<uint32_t> mask;
    if (f.masked) mask = f.mask_key;
    // Parsing accepts only minimal encodings, so re-serialising is exact.
    auto out = ws::SerializeFrame(f.opcode, f.payload, f.fin, mask);
    if (!out.ok() || *out != buf.substr(0, consumed)) __builtin_trap();
    if (f.opcode == ws::Opcode::kClose) (void)ws::ParseClosePayload(f.payload);
    buf.remove_prefix(consumed);
  }
  return 0;
}
