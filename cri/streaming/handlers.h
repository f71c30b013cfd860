#pragma once
// Protocol handlers run by the server on an upgraded connection, one call
// per connection on the connection's thread; each returns when the session
// is over. They never own `fd` (the server closes it).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cri/streaming/request.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/streaming_runtime.h"

namespace silo::cri::streaming {

struct HandlerOptions {
  StreamingRuntime* runtime = nullptr;
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Hours(4);
  absl::Duration linger = absl::Seconds(5);
};

// remotecommand exec/attach over SPDY. `protocol` is the negotiated
// X-Stream-Protocol-Version (v4.channel.k8s.io ... channel.k8s.io).
void ServeRemoteCommandSpdy(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                            const std::string& protocol, const HandlerOptions& options);

// remotecommand exec/attach over a channel WebSocket (`protocol` is the
// negotiated Sec-WebSocket-Protocol, possibly empty).
void ServeRemoteCommandWebSocket(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                                 const std::string& protocol, const HandlerOptions& options);

// Port-forward over a channel WebSocket (`protocol` "", v4.channel.k8s.io
// or v4.base64.channel.k8s.io); `ports` come from the URL query.
void ServePortForwardWebSocket(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                               const std::string& protocol, const std::vector<int32_t>& ports,
                               const HandlerOptions& options);

// portforward.k8s.io over SPDY.
void ServePortForwardSpdy(SocketFd fd, std::string initial_bytes, const StreamRequest& request,
                          const HandlerOptions& options);

}  // namespace silo::cri::streaming
