#pragma once
// HCN endpoints and networks over an HcnApi table (hcsshim
// hcn/hcnendpoint.go, hcnnetwork.go). Silo never creates endpoints (the CNI
// plugin does); it reads them for pod IPs and stats and deletes leaked ones.
// Stateless: each call opens and closes its own handle; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"
#include "network/hns/schema.h"

namespace silo::network::hns {

// Open + query + close. A missing endpoint fails with errors::IsNotFound.
Result<HostComputeEndpoint> GetEndpoint(const HcnApi& api, std::string_view id);
Result<std::vector<std::string>> EnumerateEndpoints(const HcnApi& api);
// Every endpoint's document; endpoints deleted between the enumeration and
// the query are skipped rather than failing the listing.
Result<std::vector<HostComputeEndpoint>> ListEndpoints(const HcnApi& api);
// Idempotent: an endpoint that does not exist counts as deleted.
HrStatus DeleteEndpoint(const HcnApi& api, std::string_view id);

Result<HostComputeNetwork> GetNetwork(const HcnApi& api, std::string_view id);
Result<std::vector<std::string>> EnumerateNetworks(const HcnApi& api);

}  // namespace silo::network::hns
