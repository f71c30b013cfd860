#include "cri/streaming/websocket_frame.h"

#include "absl/strings/str_cat.h"

namespace silo::cri::streaming::ws {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("websocket: ", what));
}

void ApplyMask(std::string* data, uint32_t key) {
  const uint8_t k[4] = {uint8_t(key >> 24), uint8_t(key >> 16), uint8_t(key >> 8), uint8_t(key)};
  for (size_t i = 0; i < data->size(); ++i) (*data)[i] = char(uint8_t((*data)[i]) ^ k[i & 3]);
}

bool KnownOpcode(uint8_t op) {
  return op == 0x0 || op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA;
}

}  // namespace

absl::StatusOr<std::optional<Frame>> ParseFrame(std::string_view buf, size_t max_payload,
                                                MaskPolicy policy, size_t* consumed) {
  *consumed = 0;
  if (buf.size() < 2) return std::nullopt;
  const uint8_t b0 = uint8_t(buf[0]);
  const uint8_t b1 = uint8_t(buf[1]);
  Frame f;
  f.fin = (b0 & 0x80) != 0;
  if ((b0 & 0x70) != 0) return Invalid("reserved bits set without a negotiated extension");
  const uint8_t op = b0 & 0x0f;
  if (!KnownOpcode(op)) return Invalid(absl::StrCat("reserved opcode ", op));
  f.opcode = Opcode(op);
  f.masked = (b1 & 0x80) != 0;
  if (policy == MaskPolicy::kRequireMasked && !f.masked) return Invalid("unmasked client frame");
  if (policy == MaskPolicy::kRequireUnmasked && f.masked) return Invalid("masked server frame");

  size_t pos = 2;
  uint64_t len = b1 & 0x7f;
  if (len == 126) {
    if (buf.size() < 4) return std::nullopt;
    len = (uint64_t(uint8_t(buf[2])) << 8) | uint8_t(buf[3]);
    if (len < 126) return Invalid("non-minimal 16-bit length");
    pos = 4;
  } else if (len == 127) {
    if (buf.size() < 10) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(buf[2 + i]);
    if (len >> 63) return Invalid("64-bit length with the high bit set");
    if (len <= 0xffff) return Invalid("non-minimal 64-bit length");
    pos = 10;
  }
  if (IsControl(f.opcode)) {
    if (!f.fin) return Invalid("fragmented control frame");
    if (len > 125) return Invalid("control frame payload over 125 bytes");
  }
  if (len > max_payload) {
    return absl::ResourceExhaustedError(
        absl::StrCat("websocket: payload ", len, " exceeds limit ", max_payload));
  }
  if (f.masked) {
    if (buf.size() - pos < 4) return std::nullopt;
    f.mask_key = (uint32_t(uint8_t(buf[pos])) << 24) | (uint32_t(uint8_t(buf[pos + 1])) << 16) |
                 (uint32_t(uint8_t(buf[pos + 2])) << 8) | uint32_t(uint8_t(buf[pos + 3]));
    pos += 4;
  }
  if (buf.size() - pos < len) return std::nullopt;
  f.payload.assign(buf.substr(pos, size_t(len)));
  if (f.masked) ApplyMask(&f.payload, f.mask_key);
  *consumed = pos + size_t(len);
  return std::optional<Frame>(std::move(f));
}

absl::StatusOr<std::string> SerializeFrame(Opcode opcode, std::string_view payload, bool fin,
                                           std::optional<uint32_t> mask_key) {
  if (!KnownOpcode(uint8_t(opcode))) return Invalid("unknown opcode");
  if (IsControl(opcode) && (!fin || payload.size() > 125)) {
    return Invalid("control frames must be final and at most 125 bytes");
  }
  std::string out;
  out.push_back(char((fin ? 0x80 : 0) | uint8_t(opcode)));
  const uint8_t mask_bit = mask_key ? 0x80 : 0;
  const uint64_t len = payload.size();
  if (len < 126) {
    out.push_back(char(mask_bit | len));
  } else if (len <= 0xffff) {
    out.push_back(char(mask_bit | 126));
    out.push_back(char(len >> 8));
    out.push_back(char(len));
  } else {
    out.push_back(char(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(char(len >> (8 * i)));
  }
  std::string body(payload);
  if (mask_key) {
    for (int i = 3; i >= 0; --i) out.push_back(char(*mask_key >> (8 * i)));
    ApplyMask(&body, *mask_key);
  }
  out += body;
  return out;
}

bool IsValidWireCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

absl::StatusOr<CloseInfo> ParseClosePayload(std::string_view payload) {
  CloseInfo info;
  if (payload.empty()) return info;
  if (payload.size() == 1) return Invalid("close payload of 1 byte");
  info.code = uint16_t((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
  if (!IsValidWireCloseCode(info.code)) return Invalid(absl::StrCat("invalid close code ", info.code));
  info.reason.assign(payload.substr(2));
  return info;
}

std::string MakeClosePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(char(code >> 8));
  out.push_back(char(code));
  out.append(reason.substr(0, 123));
  return out;
}

}  // namespace silo::cri::streaming::ws
