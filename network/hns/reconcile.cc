#include "network/hns/reconcile.h"

#include <algorithm>

#include "network/hns/endpoint.h"
#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "network/hns/namespace.h"
#include "network/hns/schema.h"

namespace silo::network::hns {
namespace {

std::set<std::string> Canonical(const std::set<std::string>& ids) {
  std::set<std::string> out;
  for (const std::string& id : ids) out.insert(CanonicalGuid(id).value_or(id));
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Result<ReconcileReport> Reconcile(const HcnApi& api, const ReconcileOptions& options) {
  const std::set<std::string> owned = Canonical(options.owned_namespace_ids);
  const std::set<std::string> recorded = Canonical(options.created_by_silo);
  const auto made_by_silo = [&](const std::string& id) {
    if (recorded.count(id) != 0) return true;
    const std::optional<HcnGuid> guid = ParseGuid(id);
    return guid.has_value() && HasSiloMark(*guid);
  };

  Result<std::vector<std::string>> ids = EnumerateNamespaces(api);
  if (!ids.ok()) return ids.status();

  ReconcileReport report;
  // Pick the leaked namespaces and the endpoints their documents list.
  std::vector<std::string> leaked;
  std::vector<std::string> endpoints;
  for (const std::string& id : *ids) {
    if (owned.count(id) != 0 || !made_by_silo(id)) continue;  // live, or not Silo's to judge
    Result<HostComputeNamespace> ns = GetNamespace(api, id);
    if (!ns.ok()) {
      if (!errors::IsNotFound(ns.status().hr())) report.errors.push_back(ns.status());
      continue;  // gone already, or unreadable: leave it for the next pass
    }
    if (!ns->type.empty() && ns->type != kNamespaceTypeHost) continue;  // default/guest compartments
    leaked.push_back(id);
    for (const std::string& ep : ns->EndpointIds()) {
      if (!Contains(endpoints, ep)) endpoints.push_back(ep);
    }
  }
  if (leaked.empty()) return report;

  // Endpoints that point at a leaked namespace without being listed in it
  // (a CNI ADD that died between create and attach, or an HNS that lists lazily).
  Result<std::vector<HostComputeEndpoint>> all = ListEndpoints(api);
  if (all.ok()) {
    for (const HostComputeEndpoint& ep : *all) {
      if (Contains(leaked, ep.namespace_id) && !Contains(endpoints, ep.id)) endpoints.push_back(ep.id);
    }
  } else {
    report.errors.push_back(all.status());
  }

  for (const std::string& ep : endpoints) {
    if (HrStatus s = DeleteEndpoint(api, ep); !s.ok()) {
      report.errors.push_back(s);
    } else {
      report.removed_endpoints.push_back(ep);
    }
  }
  for (const std::string& id : leaked) {
    if (HrStatus s = DeleteNamespace(api, id); !s.ok()) {
      report.errors.push_back(s);
    } else {
      report.removed_namespaces.push_back(id);
    }
  }
  return report;
}

}  // namespace silo::network::hns
