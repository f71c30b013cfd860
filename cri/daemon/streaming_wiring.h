#pragma once
// Starts the streaming server (Exec/Attach/PortForward URLs) from the
// `streaming` config section.

#include <memory>

#include "absl/status/statusor.h"
#include "cri/daemon/config.h"
#include "cri/streaming/server.h"
#include "cri/streaming/streaming_runtime.h"

namespace silo::cri {

// Binds `config.address` ("host:port", port 0 = random) and serves with
// `config.idle_timeout`. `runtime` must outlive the server. TLS is not
// supported yet: a configured tls_cert fails with Unimplemented rather than
// silently serving plain HTTP.
absl::StatusOr<std::unique_ptr<streaming::Server>> StartStreamingServer(const Config::Streaming& config,
                                                                        streaming::StreamingRuntime* runtime);

}  // namespace silo::cri
