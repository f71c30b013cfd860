#pragma once
// Test-only WebSocket client for the Kubernetes channel protocols, written
// from RFC 6455 and the channel.k8s.io conventions (channel byte prefix,
// base64 text variants, v5 [255, channel] close). Single-threaded.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/streaming/testing/client_conn.h"

namespace silo::cri::streaming::testing {

class WsTestClient {
 public:
  // Dials and upgrades; *response gets the HTTP answer. A client only on 101.
  static absl::StatusOr<std::unique_ptr<WsTestClient>> Connect(
      uint16_t port, const std::string& method, const std::string& path,
      const std::vector<std::string>& protocols, UpgradeResponse* response);

  const std::string& protocol() const { return protocol_; }
  bool accept_ok() const { return accept_ok_; }

  // Sends one masked message on `channel` (base64 text when negotiated).
  absl::Status SendChannel(uint8_t channel, std::string_view data);
  // v5: [255, channel].
  absl::Status CloseChannel(uint8_t channel);
  // Reads messages until done() holds; answers a close frame.
  absl::Status Pump(const std::function<bool()>& done, absl::Duration timeout);

  std::map<uint8_t, std::string>& channels() { return channels_; }
  const std::vector<uint8_t>& first_channels() const { return first_channels_; }
  const std::vector<uint8_t>& closed_channels() const { return closed_channels_; }
  std::optional<uint16_t> close_code() const { return close_code_; }

 private:
  WsTestClient(std::unique_ptr<ClientConn> conn, std::string protocol, bool accept_ok);
  absl::Status SendFrame(uint8_t opcode, std::string_view payload);

  std::unique_ptr<ClientConn> conn_;
  std::string protocol_;
  bool accept_ok_;
  bool base64_;
  std::mt19937 rng_;
  std::map<uint8_t, std::string> channels_;
  std::vector<uint8_t> first_channels_;
  std::vector<uint8_t> closed_channels_;
  std::optional<uint16_t> close_code_;
};

struct WsExecOptions {
  std::vector<std::string> protocols = {"v5.channel.k8s.io"};
  std::string stdin_data;
  bool send_stdin = false;
  // v5 only: send [255, 0] after stdin so the process sees EOF.
  bool close_stdin = false;
  std::optional<std::pair<int, int>> resize;
  std::string method = "GET";
};

struct WsExecResult {
  int http_status = 0;
  std::string protocol;
  bool accept_ok = false;  // Sec-WebSocket-Accept matched our key
  std::string stdout;
  std::string stderr;
  std::string error;
  std::vector<uint8_t> first_channels;    // channels of the first messages, in order
  std::vector<uint8_t> closed_channels;   // v5 close messages received
  std::optional<uint16_t> close_code;
};

// Runs one exec session like `kubectl exec` with the WebSocket executor.
absl::StatusOr<WsExecResult> WsExec(uint16_t port, const std::string& path,
                                    const WsExecOptions& options);

}  // namespace silo::cri::streaming::testing
