#include "absl/strings/str_cat.h"
#include "cri/server/service.h"
#include "cri/streaming/server.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// CRI Exec: validates and parks the request on the streaming server, which
// returns a one-time URL; the process starts when the client connects.
// Unknown container: NotFound; not RUNNING: FailedPrecondition; tty with
// stderr or no stream at all: InvalidArgument (from the server).
absl::Status Service::Exec(const ::runtime::v1::ExecRequest& request, ::runtime::v1::ExecResponse* response) {
  if (containers_ == nullptr || deps_.streaming == nullptr) return UnimplementedRpc("Exec");
  if (request.container_id().empty()) return absl::InvalidArgumentError("Exec: container_id is required");
  if (request.cmd().empty()) return absl::InvalidArgumentError("Exec: cmd is required");
  SILO_ASSIGN_OR_RETURN(runtime::model::ContainerRecord record, containers_->Status(request.container_id()));
  if (record.State() != runtime::model::ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("Exec in container ", record.id, ": container is ",
                                                      runtime::model::ContainerStateName(record.State()),
                                                      ", not RUNNING"));
  }
  streaming::StreamRequest parked;
  parked.kind = streaming::RequestKind::kExec;
  parked.container_id = record.id;
  parked.cmd.assign(request.cmd().begin(), request.cmd().end());
  parked.tty = request.tty();
  parked.stdin = request.stdin();
  parked.stdout = request.stdout();
  parked.stderr = request.stderr();
  SILO_ASSIGN_OR_RETURN(std::string url, deps_.streaming->GetExec(std::move(parked)));
  response->set_url(std::move(url));
  return absl::OkStatus();
}

}  // namespace silo::cri
