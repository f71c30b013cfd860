#include "cri/server/service.h"

namespace silo::cri {
namespace {

void AddCondition(::runtime::v1::RuntimeStatus* status, const char* type, const absl::Status& ready,
                  const char* reason_if_not) {
  auto* c = status->add_conditions();
  c->set_type(type);
  c->set_status(ready.ok());
  if (!ready.ok()) {
    c->set_reason(reason_if_not);
    c->set_message(std::string(ready.message()));
  }
}

}  // namespace

absl::Status Service::Status(const ::runtime::v1::StatusRequest& request,
                             ::runtime::v1::StatusResponse* response) {
  auto* status = response->mutable_status();
  // Reasons match containerd's, which kubelet and operators' alerts know.
  AddCondition(status, "RuntimeReady", backend_->Ready(), "RuntimeNotReady");
  AddCondition(status, "NetworkReady", network_->Ready(), "NetworkPluginNotReady");

  for (const auto& h : options_.handlers) {
    auto* rh = response->add_runtime_handlers();
    rh->set_name(h.name);
    rh->mutable_features()->set_recursive_read_only_mounts(h.recursive_read_only_mounts);
    rh->mutable_features()->set_user_namespaces(h.user_namespaces);
  }
  // Neither feature is implemented yet; advertising them would make kubelet
  // rely on behaviour we do not have.
  response->mutable_features()->set_supplemental_groups_policy(false);
  response->mutable_features()->set_user_namespaces_host_network(false);

  if (request.verbose()) {
    auto& info = *response->mutable_info();
    info["config"] = options_.config_json;
    info["build"] = options_.build_json;
    info["backend"] = backend_->Name();
    info["podCIDR"] = pod_cidr();
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
