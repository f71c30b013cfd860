#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {
namespace {

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (char c : in) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

bool ReadFull(Duplex& conn, char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    const int64_t n = conn.Read(buf + done, len - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool KnownType(uint8_t t) {
  return t >= static_cast<uint8_t>(SessionFrameType::kStdin) && t <= static_cast<uint8_t>(SessionFrameType::kFailed);
}

}  // namespace

bool IsSessionRequest(const runtime::shim::Request& request) {
  return request.op == runtime::shim::Op::kAttach || (request.op == runtime::shim::Op::kExec && request.stream);
}

std::string EncodeSessionFrame(SessionFrameType type, std::string_view payload) {
  std::string frame;
  frame.reserve(5 + payload.size());
  frame.push_back(static_cast<char>(type));
  PutBigEndian(&frame, payload.size(), 4);
  frame.append(payload);
  return frame;
}

std::string ResizePayload(uint16_t width, uint16_t height) {
  std::string p;
  PutBigEndian(&p, width, 2);
  PutBigEndian(&p, height, 2);
  return p;
}

bool ParseResize(std::string_view payload, uint16_t* width, uint16_t* height) {
  if (payload.size() != 4) return false;
  *width = static_cast<uint16_t>(GetBigEndian(payload.substr(0, 2)));
  *height = static_cast<uint16_t>(GetBigEndian(payload.substr(2, 2)));
  return true;
}

std::string ExitPayload(int64_t exit_code) {
  std::string p;
  PutBigEndian(&p, static_cast<uint64_t>(exit_code), 8);
  return p;
}

bool ParseExit(std::string_view payload, int64_t* exit_code) {
  if (payload.size() != 8) return false;
  *exit_code = static_cast<int64_t>(GetBigEndian(payload));
  return true;
}

std::optional<SessionFrame> ReadSessionFrame(Duplex& conn) {
  char header[5];
  if (!ReadFull(conn, header, sizeof(header))) return std::nullopt;
  const uint8_t type = static_cast<uint8_t>(header[0]);
  const uint64_t len = GetBigEndian(std::string_view(header + 1, 4));
  if (!KnownType(type) || len > kMaxSessionPayload) return std::nullopt;
  SessionFrame frame;
  frame.type = static_cast<SessionFrameType>(type);
  frame.payload.resize(len);
  if (len > 0 && !ReadFull(conn, frame.payload.data(), len)) return std::nullopt;
  return frame;
}

bool SessionWriter::Send(SessionFrameType type, std::string_view payload) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return false;
  do {
    const std::string_view part = payload.substr(0, kMaxSessionPayload);
    payload.remove_prefix(part.size());
    if (!conn_.Write(EncodeSessionFrame(type, part))) {
      broken_ = true;
      return false;
    }
  } while (!payload.empty());
  return true;
}

}  // namespace silo::runtime::windows::shim
