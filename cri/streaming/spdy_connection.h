#pragma once
// Server side of one SPDY/3.1 session over an upgraded TCP connection, as
// Kubernetes clients (moby/spdystream) use it: the client opens every stream;
// the server answers each SYN_STREAM with an empty SYN_REPLY, queues DATA
// for the handler, echoes PINGs and ends with GOAWAY.
//
// Threading: one reader thread (Start) parses frames; any thread may write
// through Stream. Writes block while the socket is full, which is the
// back-pressure towards the process; inbound DATA blocks the reader while a
// stream's queue is full. No SPDY flow-control windows are kept: spdystream
// does not use them either. The connection does not own `fd`.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "cri/streaming/spdy_frame.h"
#include "cri/streaming/spdy_headers.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/streaming_runtime.h"

namespace silo::cri::streaming {

class SpdyConnection;

class SpdyStream : public OutputStream {
 public:
  SpdyStream(SpdyConnection* conn, uint32_t id, spdy::HeaderBlock headers)
      : conn_(conn), id_(id), headers_(std::move(headers)) {}

  uint32_t id() const { return id_; }
  const spdy::HeaderBlock& headers() const { return headers_; }
  std::string Header(std::string_view name) const { return spdy::FindHeader(headers_, name); }

  // Bytes the peer sent; EOF at the peer's FIN, reset or disconnect.
  ByteQueue& incoming() { return incoming_; }

  // Diverts this stream's DATA to `handler`, run on the reader thread, in
  // wire order with every other stream's data. Only valid from the
  // connection's StreamHandler (before any DATA of the stream is read).
  void SetDataHandler(std::function<void(std::string_view)> handler) {
    data_handler_ = std::move(handler);
  }

  // Sends DATA (split into bounded frames). False when the stream or the
  // connection is gone.
  bool Write(std::string_view data) override;
  // Sends an empty DATA frame with FIN, once.
  void CloseWrite();
  void Reset(uint32_t status);

 private:
  friend class SpdyConnection;
  SpdyConnection* const conn_;
  const uint32_t id_;
  const spdy::HeaderBlock headers_;
  ByteQueue incoming_;
  std::function<void(std::string_view)> data_handler_;  // reader thread only
  std::atomic<bool> write_closed_{false};
  std::atomic<bool> remote_closed_{false};
};

class SpdyConnection {
 public:
  struct Options {
    size_t max_frame_length = 1 << 20;
    absl::Duration idle_timeout = absl::Hours(4);
  };
  using StreamHandler = std::function<void(std::shared_ptr<SpdyStream>)>;

  SpdyConnection(SocketFd fd, std::string initial_bytes, Options options);
  ~SpdyConnection();  // Shutdown + join

  // Starts the reader; `on_stream` runs on the reader thread for each new
  // stream after its SYN_REPLY went out, and must not block. `on_closed`
  // runs once when the reader stops.
  void Start(StreamHandler on_stream, std::function<void()> on_closed = nullptr);

  // Sends GOAWAY, half-closes the socket and waits up to `linger` for the
  // peer to close, then stops the reader. Idempotent.
  void Shutdown(absl::Duration linger);

  // True once the reader stopped (peer closed, protocol error, idle timeout).
  bool closed() const { return closed_.load(); }

 private:
  friend class SpdyStream;
  bool SendFrame(const spdy::Frame& frame);
  void ReadLoop();
  // Returns false when the session must end.
  bool HandleFrame(spdy::Frame frame);
  // Drops the session's reference once both directions of `id` are over,
  // so long sessions (many port-forward connections) do not accumulate.
  void MaybeForget(uint32_t id);

  const SocketFd fd_;
  std::string inbuf_;
  const Options options_;
  StreamHandler on_stream_;
  std::function<void()> on_closed_;
  std::thread reader_;
  std::atomic<bool> closed_{false};
  silo::Notification reader_done_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int64_t> last_activity_ns_{0};

  silo::Mutex write_mu_;
  spdy::HeaderCompressor compressor_ ABSL_GUARDED_BY(write_mu_);
  bool write_failed_ ABSL_GUARDED_BY(write_mu_) = false;

  // Reader thread only.
  spdy::HeaderDecompressor decompressor_;
  std::atomic<uint32_t> last_stream_id_{0};

  silo::Mutex streams_mu_;
  std::map<uint32_t, std::shared_ptr<SpdyStream>> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace silo::cri::streaming
