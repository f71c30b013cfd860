#include "network/hns/hcn_pod_network.h"

#include "absl/strings/str_cat.h"
#include "network/cni/conf_loader.h"
#include "network/cni/pod_conf.h"
#include "network/cni/result.h"
#include "network/hns/errors.h"
#include "network/hns/endpoint.h"
#include "network/hns/guid.h"
#include "network/hns/namespace.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hresult.h"
#include "spdlog/spdlog.h"

namespace silo::network::hns {
namespace {

// Windows plugins (win-bridge, win-overlay) report the endpoint as an
// interface without "sandbox": prefer a container-side address when there
// is one, else take the first address of the family.
std::optional<std::string> PodIp(const cni::Result& r, bool v6) {
  std::optional<std::string> ip = v6 ? cni::PrimaryIPv6(r) : cni::PrimaryIPv4(r);
  if (ip) return ip;
  for (const auto& a : r.ips) {
    if (a.IsIPv6() == v6) return a.Ip();
  }
  return std::nullopt;
}

}  // namespace

HcnPodNetwork::HcnPodNetwork(const HcnApi* api, HcnPodNetworkOptions options, std::unique_ptr<cni::PluginExec> exec)
    : api_(api),
      options_(options),
      readiness_(options.bin_dirs, options.conf_dir, options.find_plugin),
      invoker_(cni::InvokerOptions{options.bin_dirs, options.cache_dir}, std::move(exec), options.find_plugin) {}

absl::StatusOr<std::string> HcnPodNetwork::CreateNamespace(const std::string& sandbox_id) {
  const HcnGuid id = SiloNamespaceGuid(sandbox_id);
  Result<HostComputeNamespace> ns = hns::CreateNamespace(*api_, id);
  if (!ns.ok() && ns.status().hr() == errors::kErrorAlreadyExistsHr) ns = GetNamespace(*api_, FormatGuid(id));
  if (!ns.ok()) {
    return runtime::windows::HrStatusToStatus(ns.status(), "HcnCreateNamespace", absl::StrCat("for sandbox ", sandbox_id));
  }
  spdlog::debug("sandbox {}: HCN namespace {}", sandbox_id, ns->id);
  return ns->id;
}

bool HcnPodNetwork::NamespaceExists(const std::string& namespace_id) const {
  return GetNamespace(*api_, namespace_id).ok();
}

absl::Status HcnPodNetwork::RemoveNamespace(const std::string& namespace_id) {
  Result<std::vector<std::string>> endpoints = NamespaceEndpointIds(*api_, namespace_id);
  if (!endpoints.ok()) {
    if (errors::IsNotFound(endpoints.status().hr())) return absl::OkStatus();
    return runtime::windows::HrStatusToStatus(endpoints.status(), "HcnQueryNamespaceProperties", namespace_id);
  }
  for (const std::string& ep : *endpoints) {
    // CNI DEL should have removed it; a plugin that did not must not leak it.
    HrStatus s = DeleteEndpoint(*api_, ep);
    if (!s.ok() && !errors::IsNotFound(s.hr())) return runtime::windows::HrStatusToStatus(s, "HcnDeleteEndpoint", ep);
    spdlog::warn("HCN namespace {}: removed endpoint {} left behind by the CNI plugin", namespace_id, ep);
    ++removed_endpoints_;
  }
  return runtime::windows::HrStatusToStatus(DeleteNamespace(*api_, namespace_id), "HcnDeleteNamespace", namespace_id);
}

absl::StatusOr<Attachment> HcnPodNetwork::Attach(const AttachRequest& request) {
  if (!ParseGuid(request.netns).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("sandbox ", request.sandbox_id, ": network namespace \"",
                                                   request.netns, "\" is not an HCN namespace GUID"));
  }
  SILO_ASSIGN_OR_RETURN(cni::NetworkConfigList net, cni::FindNetworkConfig(options_.conf_dir));
  cni::RuntimeConf rt = cni::PodRuntimeConf(request);
  absl::StatusOr<cni::Result> result = invoker_.Add(net, rt);
  if (!result.ok()) {
    (void)invoker_.Del(net, rt);
    return Annotate(result.status(), absl::StrCat("CNI ADD for sandbox ", request.sandbox_id));
  }
  Attachment a;
  std::optional<std::string> v4 = PodIp(*result, /*v6=*/false);
  std::optional<std::string> v6 = PodIp(*result, /*v6=*/true);
  if (v4) a.ip = *v4;
  if (v6) (a.ip.empty() ? a.ip : a.additional_ips.emplace_back()) = *v6;
  if (a.ip.empty()) {
    (void)invoker_.Del(net, rt);
    return absl::InternalError(absl::StrCat("CNI ADD for sandbox ", request.sandbox_id, ": the result has no IP"));
  }
  return a;
}

absl::Status HcnPodNetwork::Detach(const AttachRequest& request) {
  absl::StatusOr<cni::NetworkConfigList> net = cni::FindNetworkConfig(options_.conf_dir);
  if (!net.ok()) {
    // Nothing can have been attached through a config that is gone; the
    // namespace removal that follows cleans up its endpoints.
    spdlog::warn("sandbox {}: CNI DEL skipped: {}", request.sandbox_id, std::string(net.status().message()));
    return absl::OkStatus();
  }
  return Annotate(invoker_.Del(*net, cni::PodRuntimeConf(request)),
                  absl::StrCat("CNI DEL for sandbox ", request.sandbox_id));
}

absl::StatusOr<ReconcileReport> HcnPodNetwork::Reconcile(
    const std::set<std::string>& owned, const std::set<std::string>& created_by_silo) {
  ReconcileOptions o;
  o.owned_namespace_ids = owned;
  o.created_by_silo = created_by_silo;
  Result<ReconcileReport> report = hns::Reconcile(*api_, o);
  if (!report.ok()) return runtime::windows::HrStatusToStatus(report.status(), "HCN reconcile", "");
  for (const auto& ns : report->removed_namespaces) {
    spdlog::warn("HCN reconcile: removed namespace {} that no sandbox owns", ns);
  }
  for (const auto& ep : report->removed_endpoints) {
    spdlog::warn("HCN reconcile: removed endpoint {} of a namespace no sandbox owns", ep);
  }
  for (const auto& e : report->errors) spdlog::warn("HCN reconcile: {}", e.ToString());
  removed_namespaces_ += static_cast<int64_t>(report->removed_namespaces.size());
  removed_endpoints_ += static_cast<int64_t>(report->removed_endpoints.size());
  return *std::move(report);
}

}  // namespace silo::network::hns
