#pragma once
// silod's StreamingRuntime on Linux: exec through the container's silo-shim
// (shim op `exec` with `stream`: the shim hands over the process's pipes or
// pty master, see runtime/shim/stream_exec_client.h) and port-forward by
// dialling 127.0.0.1:<port> inside the sandbox's pinned network namespace
// (a socket created on a short-lived thread that setns()'d into it), or in
// the host's namespace for host-network pods.
//
// Attach joins the main process through the shim's `attach` op: copies of
// its stdout/stderr from now on and its stdin (when created with `stdin`);
// stdin EOF detaches (closing the container's stdin with `stdin_once`). A TTY
// main process is not supported yet (Unimplemented).
//
// Thread-safe: every call works on its own shim connection and threads. The
// managers must outlive this object.

#include <cstdint>
#include <string>
#include <vector>

#include "cri/streaming/streaming_runtime.h"
#include "runtime/container/container_manager.h"
#include "runtime/sandbox/sandbox_manager.h"

namespace silo::cri::streaming {

class ShimStreamingRuntime : public StreamingRuntime {
 public:
  ShimStreamingRuntime(runtime::container::ContainerManager* containers, runtime::sandbox::SandboxManager* sandboxes)
      : containers_(containers), sandboxes_(sandboxes) {}

  absl::StatusOr<int> Exec(const std::string& container_id, const std::vector<std::string>& cmd,
                           const ExecStreams& streams) override;
  absl::StatusOr<int> Attach(const std::string& container_id, const ExecStreams& streams) override;
  absl::Status PortForward(const std::string& pod_sandbox_id, int32_t port, ByteQueue* in,
                           OutputStream* out) override;

 private:
  runtime::container::ContainerManager* const containers_;
  runtime::sandbox::SandboxManager* const sandboxes_;
};

// Connects a TCP socket to 127.0.0.1:`port` inside the network namespace
// pinned at `netns_path` ("" = this process's namespace). Returns the fd.
absl::StatusOr<int> DialLoopbackInNetns(const std::string& netns_path, int32_t port);

}  // namespace silo::cri::streaming
