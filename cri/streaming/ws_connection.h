#pragma once
// Server side of a Kubernetes channel WebSocket (channel.k8s.io family) over
// an upgraded TCP connection: every message starts with a channel byte
// (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); the base64 variants use
// text messages with an ASCII digit and base64 data; v5.channel.k8s.io adds
// [255, channel] to close one channel.
//
// Threading: one reader thread (Start) delivers messages through callbacks;
// any thread may write. Writes block while the socket is full. The
// connection does not own `fd`.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/streaming_runtime.h"

namespace silo::cri::streaming {

// base64(SHA-1(key + RFC 6455 GUID)) for the Sec-WebSocket-Accept header.
std::string WebSocketAccept(std::string_view key);

inline constexpr uint8_t kChannelStdin = 0;
inline constexpr uint8_t kChannelStdout = 1;
inline constexpr uint8_t kChannelStderr = 2;
inline constexpr uint8_t kChannelError = 3;
inline constexpr uint8_t kChannelResize = 4;
inline constexpr uint8_t kChannelClose = 255;  // v5 only

class WsChannelConnection {
 public:
  struct Options {
    bool base64 = false;
    bool v5 = false;
    size_t max_message = 1 << 20;
    absl::Duration idle_timeout = absl::Hours(4);
  };
  struct Callbacks {
    std::function<void(uint8_t channel, std::string data)> on_data;
    std::function<void(uint8_t channel)> on_channel_close;  // v5 close or peer gone
    std::function<void()> on_end;                           // reader finished
  };

  WsChannelConnection(SocketFd fd, std::string initial_bytes, Options options);
  ~WsChannelConnection();

  void Start(Callbacks callbacks);
  // False once the connection is gone.
  bool WriteChannel(uint8_t channel, std::string_view data);
  // v5: tells the peer `channel` is finished; no-op before v5.
  void CloseChannel(uint8_t channel);
  // Sends a normal close, waits up to `linger` for the peer's, stops. Idempotent.
  void Shutdown(absl::Duration linger);

 private:
  bool SendFrame(uint8_t opcode, std::string_view payload);
  void ReadLoop();

  const SocketFd fd_;
  std::string inbuf_;
  const Options options_;
  Callbacks callbacks_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int64_t> last_activity_ns_{0};
  silo::Notification reader_done_;
  silo::Mutex write_mu_;
  bool write_failed_ ABSL_GUARDED_BY(write_mu_) = false;
  bool close_sent_ ABSL_GUARDED_BY(write_mu_) = false;
};

// OutputStream onto one channel.
class WsChannelWriter : public OutputStream {
 public:
  WsChannelWriter(WsChannelConnection* conn, uint8_t channel) : conn_(conn), channel_(channel) {}
  bool Write(std::string_view data) override { return conn_->WriteChannel(channel_, data); }

 private:
  WsChannelConnection* const conn_;
  const uint8_t channel_;
};

}  // namespace silo::cri::streaming
