#include "absl/strings/str_cat.h"
#include "cri/server/service.h"
#include "cri/streaming/server.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// CRI Attach: as Exec (container_exec.cc), joining the main process's stdio.
absl::Status Service::Attach(const ::runtime::v1::AttachRequest& request, ::runtime::v1::AttachResponse* response) {
  if (containers_ == nullptr || deps_.streaming == nullptr) return UnimplementedRpc("Attach");
  if (request.container_id().empty()) return absl::InvalidArgumentError("Attach: container_id is required");
  SILO_ASSIGN_OR_RETURN(runtime::model::ContainerRecord record, containers_->Status(request.container_id()));
  if (record.State() != runtime::model::ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("Attach to container ", record.id, ": container is ",
                                                      runtime::model::ContainerStateName(record.State()),
                                                      ", not RUNNING"));
  }
  absl::StatusOr<::runtime::v1::ContainerConfig> config = record.Config();
  if (request.stdin() && config.ok() && !config->stdin()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Attach to container ", record.id, ": stdin requested but the container was created without stdin"));
  }
  if (request.tty() && config.ok() && !config->tty()) {
    // No terminal to size or to put in raw mode: kubectl drops -t for such
    // containers itself, so this is a client's mistake worth naming.
    return absl::FailedPreconditionError(
        absl::StrCat("Attach to container ", record.id, ": tty requested but the container was created without tty"));
  }
  streaming::StreamRequest parked;
  parked.kind = streaming::RequestKind::kAttach;
  parked.container_id = record.id;
  parked.tty = request.tty();
  parked.stdin = request.stdin();
  parked.stdout = request.stdout();
  parked.stderr = request.stderr();
  SILO_ASSIGN_OR_RETURN(std::string url, deps_.streaming->GetAttach(std::move(parked)));
  response->set_url(std::move(url));
  return absl::OkStatus();
}

}  // namespace silo::cri
