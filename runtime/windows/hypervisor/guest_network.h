#pragma once
// Networking of a utility VM: the pod's HCN namespace is added to the guest,
// then each HCN endpoint becomes a VM network adapter in two steps (a guest
// "PreAdd" carrying the endpoint, then the host adapter with its guest
// half). Mirrors hcsshim internal/uvm/network.go (AddNetNS, RemoveNetNS,
// addNIC, removeNIC, getNetworkModifyRequest for RS5 and later). Pure;
// thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows::hypervisor {

// `hcn_namespace` is the HostComputeNamespace document as HCN returns it
// (HcnQueryNamespaceProperties); the guest takes it whole. InvalidArgument
// unless it is an object whose "Id" is a GUID.
absl::StatusOr<std::string> BuildGuestNamespaceAddRequest(const nlohmann::json& hcn_namespace);
absl::StatusOr<std::string> BuildGuestNamespaceRemoveRequest(const nlohmann::json& hcn_namespace);

// An adapter: `adapter_id` is a GUID Silo picks per endpoint (the VM's NIC
// id); the endpoint document is the HostComputeEndpoint as HCN returns it,
// with "Id" and "MacAddress".
absl::StatusOr<std::string> BuildNetworkAdapterPreAddRequest(const std::string& adapter_id,
                                                             const nlohmann::json& hcn_endpoint);
absl::StatusOr<std::string> BuildNetworkAdapterAddRequest(const std::string& adapter_id,
                                                          const nlohmann::json& hcn_endpoint);
absl::StatusOr<std::string> BuildNetworkAdapterRemoveRequest(const std::string& adapter_id,
                                                             const nlohmann::json& hcn_endpoint);

}  // namespace silo::runtime::windows::hypervisor
