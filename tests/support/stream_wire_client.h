#pragma once
// A remotecommand client for the streaming server, written from the
// protocols (Kubernetes' SPDY/3.1 `v4.channel.k8s.io` and WebSocket
// `v5.channel.k8s.io` as kubectl speaks them) and sharing no code with the
// server: its own HTTP upgrade, SPDY frames and header compression (only the
// SPDY/3 zlib dictionary, protocol data, is taken from the server's
// library), WebSocket framing with masking and the accept-key check. Tests
// use it to check the server against an independent reading of the specs.
//
// One blocking session per call, with a 60 s overall deadline.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace silo::testing::wire {

struct SessionOptions {
  bool stdin = false;
  std::string stdin_data;  // sent, then stdin is closed
  bool stdout = true;
  bool stderr = true;
};

struct SessionResult {
  int http_status = 0;
  std::string protocol;  // the negotiated subprotocol
  std::string stdout;
  std::string stderr;
  std::string error;     // the error channel (v4/v5: a JSON metav1.Status)
  std::optional<uint16_t> close_code;  // WebSocket only
};

absl::StatusOr<SessionResult> SpdySession(uint16_t port, const std::string& path, const SessionOptions& options);
absl::StatusOr<SessionResult> WebSocketSession(uint16_t port, const std::string& path, const SessionOptions& options);

}  // namespace silo::testing::wire
