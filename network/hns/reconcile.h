#pragma once
// Leak reconciliation: removes HCN namespaces, and the endpoints in them,
// that Silo created for sandboxes which no longer exist (the stale-endpoint
// problem of kubernetes#68511). Run at start-up and periodically; idempotent,
// and safe to run concurrently with itself (deletes of vanished objects
// succeed). Stateless and thread-safe given a shared table.
//
// A node also carries namespaces Silo does not own: the default compartment,
// containerd's and Docker's pods, HNS's own. Reconcile never touches those: a
// namespace is a candidate only when Silo made it, which it knows from its
// records (`created_by_silo`) or from the mark in the GUID it chose for it
// (SiloNamespaceGuid in guid.h), and only when it is of type "Host" or "".
// Endpoints are removed only when they belong to a namespace being removed:
// listed in its Resources, or naming it in their HostComputeNamespace field.

#include <set>
#include <string>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"

namespace silo::network::hns {

struct ReconcileOptions {
  // Namespaces held by live sandboxes: never touched. Any GUID spelling.
  std::set<std::string> owned_namespace_ids;
  // Namespaces Silo's records say it created (e.g. of sandboxes being
  // removed); candidates even without Silo's mark in their GUID.
  std::set<std::string> created_by_silo;
};

struct ReconcileReport {
  std::vector<std::string> removed_namespaces;  // canonical ids
  std::vector<std::string> removed_endpoints;   // canonical ids
  // Failures that did not stop the pass (one per object). A failure to
  // enumerate stops the pass and is returned instead of a report.
  std::vector<HrStatus> errors;
};

Result<ReconcileReport> Reconcile(const HcnApi& api, const ReconcileOptions& options);

}  // namespace silo::network::hns
