#include "cri/streaming/ws_connection.h"

#include <openssl/sha.h>
#include <cerrno>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/websocket_frame.h"
#include "spdlog/spdlog.h"
#include "runtime/base/mutex.h"

namespace silo::cri::streaming {
namespace {
constexpr size_t kMaxChunk = 32 * 1024;
int64_t NowNs() { return absl::GetCurrentTimeNanos(); }
}  // namespace

std::string WebSocketAccept(std::string_view key) {
  std::string input = absl::StrCat(absl::string_view(key.data(), key.size()),
                                   "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

WsChannelConnection::WsChannelConnection(SocketFd fd, std::string initial_bytes, Options options)
    : fd_(fd), inbuf_(std::move(initial_bytes)), options_(options) {
  last_activity_ns_ = NowNs();
}

WsChannelConnection::~WsChannelConnection() { Shutdown(absl::ZeroDuration()); }

void WsChannelConnection::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  reader_ = std::thread([this] { ReadLoop(); });
}

bool WsChannelConnection::SendFrame(uint8_t opcode, std::string_view payload) {
  silo::MutexLock lock(&write_mu_);
  if (write_failed_ || close_sent_) return false;
  auto bytes = ws::SerializeFrame(ws::Opcode(opcode), payload, true, std::nullopt);
  if (!bytes.ok() || !SendAll(fd_, *bytes)) {
    write_failed_ = true;
    return false;
  }
  if (opcode == uint8_t(ws::Opcode::kClose)) close_sent_ = true;
  last_activity_ns_ = NowNs();
  return true;
}

bool WsChannelConnection::WriteChannel(uint8_t channel, std::string_view data) {
  // An empty write still sends one message: the "ready" signal is one.
  do {
    std::string_view chunk = data.substr(0, kMaxChunk);
    data.remove_prefix(chunk.size());
    bool ok;
    if (options_.base64) {
      ok = SendFrame(uint8_t(ws::Opcode::kText),
                     absl::StrCat(std::string(1, char('0' + channel)),
                                  absl::Base64Escape(absl::string_view(chunk.data(), chunk.size()))));
    } else {
      std::string msg(1, char(channel));
      msg.append(chunk);
      ok = SendFrame(uint8_t(ws::Opcode::kBinary), msg);
    }
    if (!ok) return false;
  } while (!data.empty());
  return true;
}

void WsChannelConnection::CloseChannel(uint8_t channel) {
  if (!options_.v5) return;
  std::string msg = {char(kChannelClose), char(channel)};
  SendFrame(uint8_t(ws::Opcode::kBinary), msg);
}

void WsChannelConnection::ReadLoop() {
  char buf[16 * 1024];
  std::string message;
  bool in_message = false;
  bool done = false;
  while (!done && !stop_.load()) {
    while (!done) {
      size_t consumed = 0;
      auto parsed = ws::ParseFrame(inbuf_, options_.max_message, ws::MaskPolicy::kRequireMasked,
                                   &consumed);
      if (!parsed.ok()) {
        spdlog::warn("websocket: closing: {}", std::string(parsed.status().message()));
        SendFrame(uint8_t(ws::Opcode::kClose), ws::MakeClosePayload(
            absl::IsResourceExhausted(parsed.status()) ? ws::kCloseTooBig : ws::kCloseProtocolError, ""));
        done = true;
        break;
      }
      if (!parsed->has_value()) break;
      inbuf_.erase(0, consumed);
      ws::Frame f = std::move(**parsed);
      if (f.opcode == ws::Opcode::kPing) {
        SendFrame(uint8_t(ws::Opcode::kPong), f.payload);
        continue;
      }
      if (f.opcode == ws::Opcode::kPong) continue;
      if (f.opcode == ws::Opcode::kClose) {
        SendFrame(uint8_t(ws::Opcode::kClose), ws::MakeClosePayload(ws::kCloseNormal, ""));
        done = true;
        break;
      }
      if ((f.opcode == ws::Opcode::kContinuation) != in_message ||
          message.size() + f.payload.size() > options_.max_message) {
        SendFrame(uint8_t(ws::Opcode::kClose), ws::MakeClosePayload(ws::kCloseProtocolError, ""));
        done = true;
        break;
      }
      message += f.payload;
      in_message = !f.fin;
      if (in_message) continue;
      if (message.empty()) continue;
      uint8_t channel = uint8_t(message.front());
      std::string data;
      if (options_.base64) {
        channel = uint8_t(channel - '0');
        if (!absl::Base64Unescape(absl::string_view(message).substr(1), &data)) data.clear();
      } else {
        data = message.substr(1);
      }
      message.clear();
      if (channel == kChannelClose && options_.v5) {
        if (!data.empty() && callbacks_.on_channel_close) callbacks_.on_channel_close(uint8_t(data[0]));
        continue;
      }
      if (callbacks_.on_data) callbacks_.on_data(channel, std::move(data));
    }
    if (done) break;
    WaitResult w = WaitReadable(fd_, absl::Seconds(1));
    if (w == WaitResult::kError) break;
    if (w == WaitResult::kTimeout) {
      if (absl::Nanoseconds(NowNs() - last_activity_ns_.load()) >= options_.idle_timeout) break;
      continue;
    }
    long n = RecvSome(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    last_activity_ns_ = NowNs();
    inbuf_.append(buf, size_t(n));
  }
  {
    silo::MutexLock lock(&write_mu_);
    write_failed_ = true;
  }
  if (callbacks_.on_end) callbacks_.on_end();
  reader_done_.Notify();
}

void WsChannelConnection::Shutdown(absl::Duration linger) {
  if (shut_down_.exchange(true)) return;
  if (!reader_.joinable()) return;
  SendFrame(uint8_t(ws::Opcode::kClose), ws::MakeClosePayload(ws::kCloseNormal, ""));
  reader_done_.WaitForNotificationWithTimeout(linger);
  stop_ = true;
  ShutdownSocket(fd_);
  reader_.join();
}

}  // namespace silo::cri::streaming
