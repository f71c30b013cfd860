#pragma once
// Leak reconciliation: removes HCN namespaces, and the endpoints in them,
// that were created for sandboxes which no longer exist (the stale-endpoint
// problem of kubernetes#68511). Run at start-up and periodically; idempotent,
// and safe to run concurrently with itself (deletes of vanished objects
// succeed). Stateless and thread-safe given a shared table.
//
// A host also carries namespaces Silo does not own (the default compartment,
// other runtimes'), so only namespaces of type "Host" or "" are candidates,
// and when `created_by_silo` is given only the ids listed there (Silo's own
// record of what it created). Endpoints are removed only when they belong to
// a namespace being removed: listed in its Resources, or naming it in their
// HostComputeNamespace field.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"

namespace silo::network::hns {

struct ReconcileOptions {
  // Namespaces held by live sandboxes: never touched. Any GUID spelling.
  std::set<std::string> owned_namespace_ids;
  // When set, only these namespaces may be removed; when unset, every
  // non-default namespace not in `owned_namespace_ids` (a node dedicated to Silo).
  std::optional<std::set<std::string>> created_by_silo;
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
