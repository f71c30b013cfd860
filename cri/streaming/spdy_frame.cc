#include "cri/streaming/spdy_frame.h"

#include "absl/strings/str_cat.h"
#include "cri/streaming/big_endian.h"

namespace silo::cri::streaming::spdy {
namespace {

constexpr uint32_t kStreamIdMask = 0x7fffffff;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("spdy: ", what));
}

// Validates and decodes a control frame body. `body` is exactly `length` bytes.
absl::StatusOr<Frame> ParseControl(uint16_t type, uint8_t flags, std::string_view body) {
  Frame f;
  f.flags = flags;
  const size_t n = body.size();
  switch (type) {
    case uint16_t(FrameType::kSynStream):
      if (n < 10) return Invalid("SYN_STREAM shorter than 10 bytes");
      f.type = FrameType::kSynStream;
      f.stream_id = Be32(body, 0) & kStreamIdMask;
      f.associated_stream_id = Be32(body, 4) & kStreamIdMask;
      f.priority = uint8_t(body[8]) >> 5;
      f.slot = uint8_t(body[9]);
      f.header_block = std::string(body.substr(10));
      if (f.stream_id == 0) return Invalid("SYN_STREAM with stream id 0");
      return f;
    case uint16_t(FrameType::kSynReply):
    case uint16_t(FrameType::kHeaders):
      if (n < 4) return Invalid("SYN_REPLY/HEADERS shorter than 4 bytes");
      f.type = FrameType(type);
      f.stream_id = Be32(body, 0) & kStreamIdMask;
      f.header_block = std::string(body.substr(4));
      if (f.stream_id == 0) return Invalid("SYN_REPLY/HEADERS with stream id 0");
      return f;
    case uint16_t(FrameType::kRstStream):
      if (n != 8) return Invalid("RST_STREAM length is not 8");
      f.type = FrameType::kRstStream;
      f.stream_id = Be32(body, 0) & kStreamIdMask;
      f.status = Be32(body, 4);
      if (f.stream_id == 0) return Invalid("RST_STREAM with stream id 0");
      if (f.status == 0) return Invalid("RST_STREAM with status 0");
      return f;
    case uint16_t(FrameType::kSettings): {
      if (n < 4) return Invalid("SETTINGS shorter than 4 bytes");
      uint32_t count = Be32(body, 0);
      // Compare in 64 bits so a huge count cannot overflow the check.
      if (uint64_t(count) * 8 + 4 != n) return Invalid("SETTINGS count does not match length");
      f.type = FrameType::kSettings;
      f.settings.reserve(count);
      for (uint32_t i = 0; i < count; ++i) {
        uint32_t word = Be32(body, 4 + i * 8);
        f.settings.push_back(Setting{uint8_t(word >> 24), word & 0xffffff, Be32(body, 8 + i * 8)});
      }
      return f;
    }
    case uint16_t(FrameType::kPing):
      if (n != 4) return Invalid("PING length is not 4");
      f.type = FrameType::kPing;
      f.ping_id = Be32(body, 0);
      return f;
    case uint16_t(FrameType::kGoAway):
      if (n != 8) return Invalid("GOAWAY length is not 8");
      f.type = FrameType::kGoAway;
      f.last_good_stream_id = Be32(body, 0) & kStreamIdMask;
      f.status = Be32(body, 4);
      return f;
    case uint16_t(FrameType::kWindowUpdate):
      if (n != 8) return Invalid("WINDOW_UPDATE length is not 8");
      f.type = FrameType::kWindowUpdate;
      f.stream_id = Be32(body, 0) & kStreamIdMask;
      f.delta_window_size = Be32(body, 4) & 0x7fffffff;
      if (f.delta_window_size == 0) return Invalid("WINDOW_UPDATE with delta 0");
      return f;
    default:
      return Invalid(absl::StrCat("unknown control frame type ", type));
  }
}

}  // namespace

absl::StatusOr<std::optional<Frame>> ParseFrame(std::string_view buf, size_t max_frame_length,
                                                size_t* consumed) {
  *consumed = 0;
  if (buf.size() < kFrameHeaderSize) return std::nullopt;
  const uint32_t word0 = Be32(buf, 0);
  const uint32_t word1 = Be32(buf, 4);
  const uint8_t flags = uint8_t(word1 >> 24);
  const uint32_t length = word1 & 0xffffff;
  const bool control = (word0 & 0x80000000u) != 0;
  if (control) {
    // Check what the header alone can tell before waiting for the body.
    uint16_t version = uint16_t((word0 >> 16) & 0x7fff);
    if (version != kVersion) return Invalid(absl::StrCat("unsupported version ", version));
  }
  if (length > max_frame_length) {
    return absl::ResourceExhaustedError(
        absl::StrCat("spdy: frame length ", length, " exceeds limit ", max_frame_length));
  }
  if (buf.size() - kFrameHeaderSize < length) return std::nullopt;
  std::string_view body = buf.substr(kFrameHeaderSize, length);

  Frame frame;
  if (control) {
    auto parsed = ParseControl(uint16_t(word0 & 0xffff), flags, body);
    if (!parsed.ok()) return parsed.status();
    frame = *std::move(parsed);
  } else {
    frame.type = FrameType::kData;
    frame.flags = flags;
    frame.stream_id = word0 & kStreamIdMask;
    if (frame.stream_id == 0) return Invalid("DATA frame with stream id 0");
    frame.data = std::string(body);
  }
  *consumed = kFrameHeaderSize + length;
  return std::optional<Frame>(std::move(frame));
}

absl::StatusOr<std::string> SerializeFrame(const Frame& f) {
  std::string body;
  if (f.stream_id > kStreamIdMask || f.associated_stream_id > kStreamIdMask ||
      f.last_good_stream_id > kStreamIdMask) {
    return Invalid("stream id does not fit 31 bits");
  }
  switch (f.type) {
    case FrameType::kData:
      body = f.data;
      break;
    case FrameType::kSynStream:
      PutBe32(&body, f.stream_id);
      PutBe32(&body, f.associated_stream_id);
      body.push_back(char((f.priority & 0x7) << 5));
      body.push_back(char(f.slot));
      body += f.header_block;
      break;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      PutBe32(&body, f.stream_id);
      body += f.header_block;
      break;
    case FrameType::kRstStream:
      PutBe32(&body, f.stream_id);
      PutBe32(&body, f.status);
      break;
    case FrameType::kSettings:
      PutBe32(&body, uint32_t(f.settings.size()));
      for (const Setting& s : f.settings) {
        if (s.id > 0xffffff) return Invalid("setting id does not fit 24 bits");
        PutBe32(&body, (uint32_t(s.flags) << 24) | s.id);
        PutBe32(&body, s.value);
      }
      break;
    case FrameType::kPing:
      PutBe32(&body, f.ping_id);
      break;
    case FrameType::kGoAway:
      PutBe32(&body, f.last_good_stream_id);
      PutBe32(&body, f.status);
      break;
    case FrameType::kWindowUpdate:
      PutBe32(&body, f.stream_id);
      PutBe32(&body, f.delta_window_size & 0x7fffffff);
      break;
    default:
      return Invalid("cannot serialise unknown frame type");
  }
  if (body.size() > kMaxWireLength) return Invalid("frame payload exceeds 2^24-1 bytes");
  std::string out;
  out.reserve(kFrameHeaderSize + body.size());
  if (f.type == FrameType::kData) {
    PutBe32(&out, f.stream_id);
  } else {
    PutBe32(&out, 0x80000000u | (uint32_t(kVersion) << 16) | uint32_t(f.type));
  }
  PutBe32(&out, (uint32_t(f.flags) << 24) | uint32_t(body.size()));
  out += body;
  return out;
}

Frame MakeData(uint32_t stream_id, std::string data, bool fin) {
  Frame f;
  f.type = FrameType::kData;
  f.stream_id = stream_id;
  f.data = std::move(data);
  f.flags = fin ? kFlagFin : 0;
  return f;
}

Frame MakeSynStream(uint32_t stream_id, std::string header_block, uint8_t flags) {
  Frame f;
  f.type = FrameType::kSynStream;
  f.stream_id = stream_id;
  f.header_block = std::move(header_block);
  f.flags = flags;
  return f;
}

Frame MakeSynReply(uint32_t stream_id, std::string header_block, uint8_t flags) {
  Frame f;
  f.type = FrameType::kSynReply;
  f.stream_id = stream_id;
  f.header_block = std::move(header_block);
  f.flags = flags;
  return f;
}

Frame MakeRstStream(uint32_t stream_id, uint32_t status) {
  Frame f;
  f.type = FrameType::kRstStream;
  f.stream_id = stream_id;
  f.status = status;
  return f;
}

Frame MakePing(uint32_t id) {
  Frame f;
  f.type = FrameType::kPing;
  f.ping_id = id;
  return f;
}

Frame MakeGoAway(uint32_t last_good_stream_id, uint32_t status) {
  Frame f;
  f.type = FrameType::kGoAway;
  f.last_good_stream_id = last_good_stream_id;
  f.status = status;
  return f;
}

Frame MakeWindowUpdate(uint32_t stream_id, uint32_t delta) {
  Frame f;
  f.type = FrameType::kWindowUpdate;
  f.stream_id = stream_id;
  f.delta_window_size = delta;
  return f;
}

}  // namespace silo::cri::streaming::spdy
