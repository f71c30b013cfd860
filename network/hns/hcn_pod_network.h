#pragma once
// HcnPodNetwork: the Windows PodNetwork. A pod's network is an HCN
// namespace (a network compartment) whose GUID is the "netns" CNI receives;
// the CNI plugin (win-bridge, Flannel, Calico ...) creates the HNS endpoint
// in it. Sequence for RunPodSandbox (driven by the sandbox owner):
//   CreateNamespace -> Attach (CNI ADD, CNI_NETNS = GUID) -> ... ->
//   Detach (CNI DEL) -> RemoveNamespace
// Windows has no resolv.conf: DNS settings reach the plugin as the "dns"
// capability and end up on the endpoint. HostProcess pods use the host's
// network and never come here.
//
// RemoveNamespace also deletes endpoints a plugin left in the namespace, and
// Reconcile removes namespaces (with their endpoints) that no live sandbox
// owns: the stale-endpoint leak of kubernetes#68511. Each removal is logged
// and counted (removed_namespaces / removed_endpoints).
//
// Errors from HCN become absl::Status with the HRESULT named. Thread-safe:
// the API table is immutable and every HCN call opens its own handle; CNI
// calls for different sandboxes may run concurrently.

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "network/cni/cni_network.h"
#include "network/cni/invoker.h"
#include "network/hns/api.h"
#include "network/hns/reconcile.h"
#include "network/pod_network.h"

namespace silo::network::hns {

struct HcnPodNetworkOptions {
  std::vector<std::string> bin_dirs;
  std::string conf_dir;
  std::string cache_dir;  // CNI result cache, so DEL gets the ADD result after a restart
  cni::PluginFinder find_plugin;  // unset: the platform's FindPluginBinary
};

class HcnPodNetwork final : public PodNetwork {
 public:
  // `api` must outlive the network. `exec` runs the plugins.
  HcnPodNetwork(const HcnApi* api, HcnPodNetworkOptions options, std::unique_ptr<cni::PluginExec> exec);

  absl::Status Ready() const override { return readiness_.Ready(); }

  // The HCN namespace of `sandbox_id`, with the GUID SiloNamespaceGuid gives
  // it; returns the GUID. A namespace left by an earlier attempt for the same
  // sandbox (silod died before recording it) is taken over.
  absl::StatusOr<std::string> CreateNamespace(const std::string& sandbox_id);
  // Deletes the namespace and any endpoint still in it. Idempotent.
  absl::Status RemoveNamespace(const std::string& namespace_id);
  bool NamespaceExists(const std::string& namespace_id) const;

  // CNI ADD into the namespace `request.netns` (a GUID); on failure CNI DEL
  // runs so plugins release what they made (e.g. the endpoint, IPAM).
  absl::StatusOr<Attachment> Attach(const AttachRequest& request) override;
  // CNI DEL; OK when nothing is attached or the namespace is gone.
  absl::Status Detach(const AttachRequest& request) override;

  // Removes the namespaces Silo made (`created_by_silo`, or marked as Silo's
  // by their GUID) that are not in `owned` (live sandboxes' GUIDs); never
  // another runtime's. Returns what was removed.
  absl::StatusOr<ReconcileReport> Reconcile(const std::set<std::string>& owned,
                                            const std::set<std::string>& created_by_silo);

  int64_t removed_namespaces() const { return removed_namespaces_.load(); }
  int64_t removed_endpoints() const { return removed_endpoints_.load(); }

 private:
  const HcnApi* const api_;
  const HcnPodNetworkOptions options_;
  cni::CniNetwork readiness_;
  cni::Invoker invoker_;
  std::atomic<int64_t> removed_namespaces_{0};
  std::atomic<int64_t> removed_endpoints_{0};
};

}  // namespace silo::network::hns
