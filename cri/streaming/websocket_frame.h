#pragma once
// RFC 6455 WebSocket framing. Like spdy_frame.h this is pure byte <-> value
// conversion with incremental, bounded parsing; the handshake and message
// reassembly live with the connection code. Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace silo::cri::streaming::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline bool IsControl(Opcode op) { return (uint8_t(op) & 0x8) != 0; }

// Close codes used here (RFC 6455 section 7.4.1).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseInternalError = 1011;

struct Frame {
  bool fin = true;
  Opcode opcode = Opcode::kBinary;
  bool masked = false;
  uint32_t mask_key = 0;
  std::string payload;  // always unmasked
};

enum class MaskPolicy { kRequireMasked, kRequireUnmasked, kAny };

// Parses one frame from the start of `buf`: std::nullopt = need more bytes;
// a Frame with *consumed set; InvalidArgument for protocol violations (RSV
// bits, reserved opcodes, fragmented or oversized control frames, non-minimal
// or 64-bit-high-bit lengths, wrong masking for `policy`); ResourceExhausted
// when the payload exceeds `max_payload` (decided from the header alone).
absl::StatusOr<std::optional<Frame>> ParseFrame(std::string_view buf, size_t max_payload,
                                                MaskPolicy policy, size_t* consumed);

// Serialises a frame. When `mask_key` is set the frame is masked with it
// (clients must mask, servers must not). Control frames must be FIN and at
// most 125 bytes, else InvalidArgument.
absl::StatusOr<std::string> SerializeFrame(Opcode opcode, std::string_view payload, bool fin,
                                           std::optional<uint32_t> mask_key);

// Close payload helpers. An empty payload means "no status" (returns 1005
// only in `code`, which must not itself be sent).
struct CloseInfo {
  uint16_t code = 1005;
  std::string reason;
};
absl::StatusOr<CloseInfo> ParseClosePayload(std::string_view payload);
std::string MakeClosePayload(uint16_t code, std::string_view reason);
// True for codes a peer may put on the wire.
bool IsValidWireCloseCode(uint16_t code);

}  // namespace silo::cri::streaming::ws
