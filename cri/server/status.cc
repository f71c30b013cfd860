#include "cri/server/service.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/handler/handler.h"

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
  // The default handler runs every pod that names none: the node is ready
  // when it is. The others' readiness is in the verbose info.
  absl::Status ready = handlers_->Default().Ready();
  if (!ready.ok()) {
    ready = absl::Status(ready.code(), absl::StrCat("runtime handler \"", handlers_->DefaultSpec().name,
                                                    "\": ", ready.message()));
  }
  AddCondition(status, "RuntimeReady", ready, "RuntimeNotReady");
  AddCondition(status, "NetworkReady", network_->Ready(), "NetworkPluginNotReady");

  for (const auto& h : handlers_->Specs()) {
    auto* rh = response->add_runtime_handlers();
    rh->set_name(h.name);
    rh->mutable_features()->set_recursive_read_only_mounts(h.features.recursive_read_only_mounts);
    rh->mutable_features()->set_user_namespaces(h.features.user_namespaces);
  }
  // Neither feature is implemented yet; advertising them would make kubelet
  // rely on behaviour we do not have.
  response->mutable_features()->set_supplemental_groups_policy(false);
  response->mutable_features()->set_user_namespaces_host_network(false);

  if (request.verbose()) {
    auto& info = *response->mutable_info();
    info["config"] = options_.config_json;
    info["build"] = options_.build_json;
    nlohmann::json handlers = nlohmann::json::array();
    for (size_t i = 0; i < handlers_->Specs().size(); ++i) {
      const auto& spec = handlers_->Specs()[i];
      absl::Status handler_ready = handlers_->At(i).Ready();
      handlers.push_back({{"name", spec.name},
                          {"type", spec.type},
                          {"default", spec.name == handlers_->DefaultSpec().name},
                          {"ready", handler_ready.ok()},
                          {"message", std::string(handler_ready.message())},
                          {"description", handlers_->At(i).Describe()}});
    }
    info["runtimeHandlers"] = handlers.dump();
    info["podCIDR"] = pod_cidr();
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
