#include "cri/server/container_convert.h"
#include "cri/server/service.h"

namespace silo::cri {

absl::Status Service::ListContainers(const ::runtime::v1::ListContainersRequest& request,
                                     ::runtime::v1::ListContainersResponse* response) {
  if (containers_ == nullptr) return UnimplementedRpc("ListContainers");
  const auto& f = request.filter();
  runtime::store::ContainerFilter filter;
  filter.id = f.id();
  if (!f.pod_sandbox_id().empty()) {
    // The store wants an exact sandbox id; an unknown prefix matches nothing.
    if (sandboxes_ == nullptr) return absl::OkStatus();
    auto sandbox = sandboxes_->Status(f.pod_sandbox_id());
    if (!sandbox.ok()) return absl::OkStatus();
    filter.sandbox_id = sandbox->id;
  }
  if (f.has_state()) {
    switch (f.state().state()) {
      case ::runtime::v1::CONTAINER_CREATED: filter.state = runtime::model::ContainerState::kCreated; break;
      case ::runtime::v1::CONTAINER_RUNNING: filter.state = runtime::model::ContainerState::kRunning; break;
      case ::runtime::v1::CONTAINER_EXITED: filter.state = runtime::model::ContainerState::kExited; break;
      default: filter.state = runtime::model::ContainerState::kUnknown; break;
    }
  }
  filter.labels.insert(f.label_selector().begin(), f.label_selector().end());
  // Converted straight from the store, without copying the records.
  containers_->Visit(filter, [response](const runtime::model::ContainerRecord& record) {
    ToCriContainer(record, response->add_containers());
  });
  return absl::OkStatus();
}

}  // namespace silo::cri
