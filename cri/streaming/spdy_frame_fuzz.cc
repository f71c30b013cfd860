// Fuzz target for the SPDY frame parser and header block decoder. Built as a
// libFuzzer binary under clang, and linked with fuzz_driver_main.cc as a
// bounded ctest run everywhere. Traps on any broken invariant.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cri/streaming/spdy_frame.h"
#include "cri/streaming/spdy_headers.h"

namespace sp = silo::cri::streaming::spdy;

std::vector<std::string> SiloFuzzSeeds() {
  std::vector<std::string> seeds;
  sp::HeaderCompressor comp;
  auto block = comp.Compress({{"streamtype", "stdout"}, {"requestid", "0"}});
  auto add = [&](const sp::Frame& f) {
    auto s = sp::SerializeFrame(f);
    if (s.ok()) seeds.push_back(*s);
  };
  add(sp::MakeSynStream(1, block.ok() ? *block : "", 0));
  add(sp::MakeSynReply(1, "", sp::kFlagFin));
  add(sp::MakeData(3, "hello", true));
  add(sp::MakeRstStream(5, sp::kCancel));
  add(sp::MakePing(7));
  add(sp::MakeGoAway(9, 0));
  add(sp::MakeWindowUpdate(1, 4096));
  sp::Frame settings;
  settings.type = sp::FrameType::kSettings;
  settings.settings = {{0, 4, 100}, {1, 7, 65536}};
  add(settings);
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  sp::HeaderDecompressor decomp(16 * 1024);
  constexpr size_t kLimit = 1 << 16;
  while (!buf.empty()) {
    size_t consumed = 0;
    auto parsed = sp::ParseFrame(buf, kLimit, &consumed);
    if (!parsed.ok() || !parsed->has_value()) break;
    if (consumed == 0 || consumed > buf.size()) __builtin_trap();
    const sp::Frame& frame = **parsed;
    if (!frame.header_block.empty()) (void)decomp.Decompress(frame.header_block);
    // Serialising normalises reserved bits; a second round trip must be exact.
    auto once = sp::SerializeFrame(frame);
    if (!once.ok()) __builtin_trap();
    size_t c2 = 0;
    auto again = sp::ParseFrame(*once, kLimit, &c2);
    if (!again.ok() || !again->has_value() || c2 != once->size()) __builtin_trap();
    auto twice = sp::SerializeFrame(**again);
    if (!twice.ok() || *twice != *once) __builtin_trap();
    buf.remove_prefix(consumed);
  }
  (void)sp::DecodeHeaderBlock(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
