#pragma once
// network::PodNetwork: the port for pod networking (HCN namespaces and CNI on
// Windows, pinned netns and CNI on Linux).
//
// This first cut carries readiness only; CreateNamespace, Attach, Detach,
// RemoveNamespace and Reconcile join it with the sandbox work.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::network {

class PodNetwork {
 public:
  virtual ~PodNetwork() = default;

  // OK when pods can be networked; otherwise the reason, reported by the
  // Status RPC as NetworkReady=false. Cheap: kubelet polls it.
  virtual absl::Status Ready() const = 0;
};

}  // namespace silo::network
