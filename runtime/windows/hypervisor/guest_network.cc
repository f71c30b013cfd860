#include "runtime/windows/hypervisor/guest_network.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

constexpr char kNetwork[] = "Network";

absl::Status CheckHcnObject(const json& doc, const char* what) {
  if (!doc.is_object() || !doc.contains("Id") || !doc["Id"].is_string() ||
      !IsGuidString(doc["Id"].get<std::string>())) {
    return absl::InvalidArgumentError(absl::StrCat("HCN ", what, " document has no GUID \"Id\""));
  }
  return absl::OkStatus();
}

absl::Status CheckAdapter(const std::string& adapter_id, const json& endpoint) {
  if (!IsGuidString(adapter_id)) {
    return absl::InvalidArgumentError(absl::StrCat("network adapter id '", adapter_id, "' is not a GUID"));
  }
  if (absl::Status s = CheckHcnObject(endpoint, "endpoint"); !s.ok()) return s;
  if (!endpoint.contains("MacAddress") || !endpoint["MacAddress"].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HCN endpoint ", endpoint["Id"].get<std::string>(), " has no MacAddress"));
  }
  return absl::OkStatus();
}

// guestrequest.NetworkModifyRequest (RS5+).
json NetworkModify(const std::string& adapter_id, const char* request_type, json settings = nullptr) {
  json request = {{"AdapterId", adapter_id}, {"RequestType", request_type}};
  if (!settings.is_null()) request["Settings"] = std::move(settings);
  return request;
}

json HostAdapter(const char* request_type, const std::string& adapter_id, const json& endpoint) {
  return HostModify(request_type, absl::StrCat("VirtualMachine/Devices/NetworkAdapters/", adapter_id),
                    json{{"EndpointId", endpoint["Id"]}, {"MacAddress", endpoint["MacAddress"]}});
}

absl::StatusOr<std::string> Namespace(const char* request_type, const json& hcn_namespace) {
  if (absl::Status s = CheckHcnObject(hcn_namespace, "namespace"); !s.ok()) return s;
  return Serialize(GuestOnlyModify(GuestModification(request_type, "NetworkNamespace", hcn_namespace)));
}

}  // namespace

absl::StatusOr<std::string> BuildGuestNamespaceAddRequest(const json& hcn_namespace) {
  return Namespace(kRequestAdd, hcn_namespace);
}

absl::StatusOr<std::string> BuildGuestNamespaceRemoveRequest(const json& hcn_namespace) {
  return Namespace(kRequestRemove, hcn_namespace);
}

absl::StatusOr<std::string> BuildNetworkAdapterPreAddRequest(const std::string& adapter_id, const json& hcn_endpoint) {
  if (absl::Status s = CheckAdapter(adapter_id, hcn_endpoint); !s.ok()) return s;
  return Serialize(
      GuestOnlyModify(GuestModification(kRequestAdd, kNetwork, NetworkModify(adapter_id, kRequestPreAdd, hcn_endpoint))));
}

absl::StatusOr<std::string> BuildNetworkAdapterAddRequest(const std::string& adapter_id, const json& hcn_endpoint) {
  if (absl::Status s = CheckAdapter(adapter_id, hcn_endpoint); !s.ok()) return s;
  json request = HostAdapter(kRequestAdd, adapter_id, hcn_endpoint);
  request["GuestRequest"] = GuestModification(kRequestAdd, kNetwork, NetworkModify(adapter_id, kRequestAdd));
  return Serialize(request);
}

absl::StatusOr<std::string> BuildNetworkAdapterRemoveRequest(const std::string& adapter_id, const json& hcn_endpoint) {
  if (absl::Status s = CheckAdapter(adapter_id, hcn_endpoint); !s.ok()) return s;
  json request = HostAdapter(kRequestRemove, adapter_id, hcn_endpoint);
  // No ResourceType here: hcsshim's removeNIC sends a ModifySettingRequest
  // shape ({RequestType, Settings}) as the guest half, unlike addNIC.
  request["GuestRequest"] = {{"RequestType", kRequestRemove},
                             {"Settings", NetworkModify(adapter_id, kRequestRemove)}};
  return Serialize(request);
}

}  // namespace silo::runtime::windows::hypervisor
