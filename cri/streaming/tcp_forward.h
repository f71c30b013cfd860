#pragma once
// Port-forward by dialing the target from silod's own network: what
// containerd does for Windows pods (it dials <pod IP>:<port> from the host,
// or localhost for HostProcess pods) instead of entering a namespace.
// Copies both ways until both directions end, with ProcessStreaming's
// contract: `in` EOF half-closes the connection, an abandoned `in` or a
// failing `out` ends it at once. Portable (socket_io.h).

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "runtime/streaming/stream_io.h"

namespace silo::cri::streaming {

absl::Status ForwardTcp(const std::string& host, int32_t port, runtime::streaming::ByteQueue* in,
                        runtime::streaming::OutputStream* out);

}  // namespace silo::cri::streaming
