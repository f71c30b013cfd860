#pragma once
// HCN namespaces (network compartments) over an HcnApi table, following
// hcsshim hcn/hcnnamespace.go: every operation opens its own handle and
// closes it before returning, so nothing here holds state and all functions
// are thread-safe given a shared, immutable table. Ids are GUID strings in
// any case (see guid.h); returned ids are canonical lowercase.

#include <string>
#include <string_view>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"
#include "network/hns/schema.h"

namespace silo::network::hns {

// HcnCreateNamespace, then queries the new namespace. `id` is the new
// namespace's id (Silo passes SiloNamespaceGuid, see guid.h); the zero GUID
// lets HNS choose, as hcsshim does. A namespace whose reported id is not the
// one asked for is deleted again and the call fails: Silo could not find it
// later. `type` "" (HNS default, what containerd sends) or kNamespaceTypeHost.
Result<HostComputeNamespace> CreateNamespace(const HcnApi& api, const HcnGuid& id = {}, std::string_view type = {});
// Open + query + close. A missing namespace fails with errors::IsNotFound.
Result<HostComputeNamespace> GetNamespace(const HcnApi& api, std::string_view id);
// Ids of all namespaces (HcnEnumerateNamespaces with the default query).
Result<std::vector<std::string>> EnumerateNamespaces(const HcnApi& api);
// Endpoint ids attached to the namespace (its "Endpoint" resources).
Result<std::vector<std::string>> NamespaceEndpointIds(const HcnApi& api, std::string_view id);
// HcnModifyNamespace {"ResourceType":"Endpoint","RequestType":"Add"|"Remove",...}.
HrStatus AddNamespaceEndpoint(const HcnApi& api, std::string_view namespace_id, std::string_view endpoint_id);
HrStatus RemoveNamespaceEndpoint(const HcnApi& api, std::string_view namespace_id, std::string_view endpoint_id);
// Idempotent: a namespace that does not exist counts as deleted.
HrStatus DeleteNamespace(const HcnApi& api, std::string_view id);

}  // namespace silo::network::hns
