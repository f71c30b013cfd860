#pragma once
// SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 / "SPDY Protocol - Draft 3.1"),
// the transport Kubernetes clients use for exec, attach and port-forward.
//
// This layer only moves bytes <-> Frame values. Header blocks stay compressed
// here (`header_block`); spdy_headers.h owns the per-direction zlib contexts,
// because one compression context spans every frame of a session direction.
//
// Parsing is incremental: ParseFrame looks at a prefix of a byte buffer and
// either needs more bytes, yields one frame, or fails. It never reads past the
// buffer and rejects any frame whose length exceeds the caller's limit before
// waiting for its body, so a peer cannot make us buffer unbounded input.
// Pure functions; thread-compatible.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::cri::streaming::spdy {

inline constexpr uint16_t kVersion = 3;
// The length field is 24 bits.
inline constexpr uint32_t kMaxWireLength = (1u << 24) - 1;
inline constexpr size_t kFrameHeaderSize = 8;

enum class FrameType : uint16_t {
  kData = 0,  // not a wire control type: DATA frames have the control bit clear
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

inline constexpr uint8_t kFlagFin = 0x01;
inline constexpr uint8_t kFlagUnidirectional = 0x02;

// RST_STREAM status codes.
enum RstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kFrameTooLarge = 11,
};

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits on the wire
  uint32_t value = 0;
};

// One frame. Only the fields of `type` are meaningful; the rest stay zero.
struct Frame {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  uint32_t stream_id = 0;             // DATA, SYN_*, RST, HEADERS, WINDOW_UPDATE
  uint32_t associated_stream_id = 0;  // SYN_STREAM
  uint8_t priority = 0;               // SYN_STREAM, 3 bits
  uint8_t slot = 0;                   // SYN_STREAM
  uint32_t status = 0;                // RST_STREAM, GOAWAY
  uint32_t ping_id = 0;               // PING
  uint32_t last_good_stream_id = 0;   // GOAWAY
  uint32_t delta_window_size = 0;     // WINDOW_UPDATE
  std::vector<Setting> settings;      // SETTINGS
  std::string header_block;           // SYN_STREAM, SYN_REPLY, HEADERS (compressed)
  std::string data;                   // DATA payload

  bool fin() const { return (flags & kFlagFin) != 0; }
};

// Parses one frame from the start of `buf`. Returns:
//   - std::nullopt when `buf` holds only a prefix of a frame (read more);
//   - a Frame, with *consumed set to its size on the wire;
//   - InvalidArgument for malformed input (bad version, unknown control type,
//     wrong fixed length, zero stream id where one is required), and
//     ResourceExhausted when the frame's length exceeds `max_frame_length`.
// After an error the session must be torn down (GOAWAY); the stream of bytes
// cannot be resynchronised.
absl::StatusOr<std::optional<Frame>> ParseFrame(std::string_view buf, size_t max_frame_length,
                                                size_t* consumed);

// Serialises `frame`. Fails (InvalidArgument) if a field does not fit its wire
// width (payload over 2^24-1, stream id over 2^31-1, setting id over 2^24-1).
absl::StatusOr<std::string> SerializeFrame(const Frame& frame);

// Convenience constructors.
Frame MakeData(uint32_t stream_id, std::string data, bool fin);
Frame MakeSynStream(uint32_t stream_id, std::string header_block, uint8_t flags);
Frame MakeSynReply(uint32_t stream_id, std::string header_block, uint8_t flags);
Frame MakeRstStream(uint32_t stream_id, uint32_t status);
Frame MakePing(uint32_t id);
Frame MakeGoAway(uint32_t last_good_stream_id, uint32_t status);
Frame MakeWindowUpdate(uint32_t stream_id, uint32_t delta);

}  // namespace silo::cri::streaming::spdy
