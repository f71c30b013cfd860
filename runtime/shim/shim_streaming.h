#pragma once
// The runc handler's exec, attach and port-forward (Linux).
//
// Exec goes through the container's silo-shim (shim op `exec` with
// `stream`: the shim hands over the process's pipes or pty master, see
// stream_exec_client.h). Attach joins the main process through the shim's
// `attach` op: copies of its stdout/stderr from now on and its stdin (when
// created with `stdin`); stdin EOF detaches (closing the container's stdin
// with `stdin_once`). Port-forward dials 127.0.0.1:<port> inside the pod's
// pinned network namespace (a socket created on a short-lived thread that
// setns()'d into it), or in the host's namespace for host-network pods.
//
// Thread-safe: every call works on its own shim connection and threads.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/streaming/process_streaming.h"

namespace silo::runtime::shim {

class ShimProcessStreaming final : public streaming::ProcessStreaming {
 public:
  absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>& cmd,
                           const streaming::ExecStreams& streams) override;
  absl::StatusOr<streaming::AttachEnd> Attach(const model::ContainerRecord& container,
                                              const streaming::ExecStreams& streams) override;
  absl::Status PortForward(const model::SandboxRecord& sandbox, int32_t port, streaming::ByteQueue* in,
                           streaming::OutputStream* out) override;
};

// Connects a TCP socket to 127.0.0.1:`port` inside the network namespace
// pinned at `netns_path` ("" = this process's namespace). Returns the fd.
absl::StatusOr<int> DialLoopbackInNetns(const std::string& netns_path, int32_t port);

}  // namespace silo::runtime::shim
