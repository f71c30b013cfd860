#include "absl/strings/str_cat.h"
#include "cri/server/service.h"
#include "cri/streaming/server.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// CRI PortForward: the sandbox must exist (NotFound) and be READY
// (FailedPrecondition); the ports are informational, since SPDY clients name
// the port per stream and WebSocket clients in the URL query.
absl::Status Service::PortForward(const ::runtime::v1::PortForwardRequest& request,
                                  ::runtime::v1::PortForwardResponse* response) {
  if (sandboxes_ == nullptr || deps_.streaming == nullptr) return UnimplementedRpc("PortForward");
  if (request.pod_sandbox_id().empty()) return absl::InvalidArgumentError("PortForward: pod_sandbox_id is required");
  SILO_ASSIGN_OR_RETURN(runtime::model::SandboxRecord sandbox, sandboxes_->Status(request.pod_sandbox_id()));
  if (sandbox.state != runtime::model::SandboxState::kReady) {
    return absl::FailedPreconditionError(absl::StrCat("PortForward to pod sandbox ", sandbox.id, ": sandbox is ",
                                                      runtime::model::SandboxStateName(sandbox.state),
                                                      ", not READY"));
  }
  for (int32_t port : request.port()) {
    if (port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("PortForward: port ", port, " is out of range"));
    }
  }
  streaming::StreamRequest parked;
  parked.kind = streaming::RequestKind::kPortForward;
  parked.pod_sandbox_id = sandbox.id;
  parked.ports.assign(request.port().begin(), request.port().end());
  SILO_ASSIGN_OR_RETURN(std::string url, deps_.streaming->GetPortForward(std::move(parked)));
  response->set_url(std::move(url));
  return absl::OkStatus();
}

}  // namespace silo::cri
