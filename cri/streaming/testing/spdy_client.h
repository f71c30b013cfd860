#pragma once
// Test-only SPDY/3.1 client speaking the Kubernetes remotecommand and
// portforward protocols the way client-go does (one stream per channel,
// streamType/port/requestID headers). Single-threaded: frames are pumped by
// Pump(). Not thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/streaming/spdy_frame.h"
#include "cri/streaming/spdy_headers.h"
#include "cri/streaming/testing/client_conn.h"

namespace silo::cri::streaming::testing {

class SpdyTestClient {
 public:
  struct StreamState {
    std::string data;
    bool replied = false;
    bool fin = false;
    bool reset = false;
  };

  // Dials and upgrades; *response receives the HTTP answer. Returns a client
  // only on 101.
  static absl::StatusOr<std::unique_ptr<SpdyTestClient>> Connect(
      uint16_t port, const std::string& method, const std::string& path,
      const std::vector<std::string>& protocols, UpgradeResponse* response);

  absl::StatusOr<uint32_t> OpenStream(const spdy::HeaderBlock& headers, bool fin);
  absl::Status SendData(uint32_t stream_id, std::string_view data, bool fin);
  absl::Status Ping(uint32_t id);
  // Reads frames until done() or the timeout/EOF; error when done() never held.
  absl::Status Pump(const std::function<bool()>& done, absl::Duration timeout);

  StreamState& stream(uint32_t id) { return streams_[id]; }
  bool goaway() const { return goaway_; }
  bool eof() const { return eof_; }
  const std::vector<uint32_t>& pongs() const { return pongs_; }

 private:
  explicit SpdyTestClient(std::unique_ptr<ClientConn> conn) : conn_(std::move(conn)) {}
  absl::Status SendFrame(const spdy::Frame& frame);

  std::unique_ptr<ClientConn> conn_;
  spdy::HeaderCompressor compressor_;
  spdy::HeaderDecompressor decompressor_;
  uint32_t next_id_ = 1;
  std::map<uint32_t, StreamState> streams_;
  std::vector<uint32_t> pongs_;
  bool goaway_ = false;
  bool eof_ = false;
};

struct ExecOptions {
  std::vector<std::string> protocols = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                        "v2.channel.k8s.io", "channel.k8s.io"};
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;
  bool tty = false;
  std::optional<std::pair<int, int>> resize;  // width, height, sent before stdin
  std::string stdin_data;
  std::string method = "POST";
};

struct ExecResult {
  int http_status = 0;
  std::string protocol;
  std::string stdout;
  std::string stderr;
  std::string error;  // raw error-stream bytes (v4: JSON status)
};

// Runs one remotecommand session over SPDY like `kubectl exec`.
absl::StatusOr<ExecResult> SpdyExec(uint16_t port, const std::string& path,
                                    const ExecOptions& options);

}  // namespace silo::cri::streaming::testing
