#pragma once
// The "process" handler's exec and attach (process-isolated HCS
// containers). Every container's processes belong to its monitor
// (silo-shim.exe), and Windows passes no handles between processes here, so
// the monitor relays the stdio over a session on its pipe
// (shim/monitor_sessions.h) and silod copies between that session and the
// client (session_relay.h):
//   Exec    a new HCS process with the container's env, working directory
//           and user (as ExecSync); with tty EmulateConsole and the first
//           size the client sent as ConsoleSize, later sizes through
//           HcsModifyProcess; its exit code once its output is drained.
//   Attach  the main process's output from now on (the CRI log still gets
//           all of it), its stdin when created with stdin; closing stdin
//           detaches, or with stdin_once closes the container's stdin.
//   PortForward  dials <pod IP>:<port> from the host, as containerd does on
//           Windows (the pod's HNS endpoint is reachable from the host).
// Thread-safe: every call works on its own session.

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::hcs_streaming {

// Connects to `host`:`port` and copies both ways until both directions end
// (the portable contract of ProcessStreaming::PortForward). Null: port
// forwarding is refused as Unimplemented.
using PortForwarder = std::function<absl::Status(const std::string& host, int32_t port,
                                                 runtime::streaming::ByteQueue* in,
                                                 runtime::streaming::OutputStream* out)>;

class HcsProcessStreaming final : public runtime::streaming::ProcessStreaming {
 public:
  // `containers` (not owned) must outlive this object; it is the handler's
  // own container host.
  HcsProcessStreaming(HcsContainerHost* containers, std::shared_ptr<shim::ShimPort> shims,
                      PortForwarder forward = nullptr);

  absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>& cmd,
                           const runtime::streaming::ExecStreams& streams) override;
  absl::StatusOr<runtime::streaming::AttachEnd> Attach(const model::ContainerRecord& container,
                                                       const runtime::streaming::ExecStreams& streams) override;
  absl::Status PortForward(const model::SandboxRecord& sandbox, int32_t port, runtime::streaming::ByteQueue* in,
                           runtime::streaming::OutputStream* out) override;

 private:
  HcsContainerHost* const containers_;
  const std::shared_ptr<shim::ShimPort> shims_;
  const PortForwarder forward_;
};

}  // namespace silo::runtime::windows::hcs_streaming
