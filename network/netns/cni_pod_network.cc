#include "network/netns/cni_pod_network.h"

#include "absl/strings/str_cat.h"
#include "network/cni/conf_loader.h"
#include "network/cni/result.h"
#include "runtime/base/status_macros.h"

namespace silo::network::netns {

CniPodNetwork::CniPodNetwork(std::vector<std::string> bin_dirs, std::string conf_dir, std::string cache_dir)
    : readiness_(bin_dirs, conf_dir),
      conf_dir_(std::move(conf_dir)),
      invoker_(cni::InvokerOptions{std::move(bin_dirs), std::move(cache_dir)}, cni::NewPluginExec()) {}

cni::RuntimeConf CniPodNetwork::MakeRuntimeConf(const AttachRequest& request) {
  cni::RuntimeConf rt;
  rt.container_id = request.sandbox_id;
  rt.netns = request.netns;
  rt.ifname = "eth0";
  rt.args = {{"IgnoreUnknown", "1"},
             {"K8S_POD_NAMESPACE", request.pod_namespace},
             {"K8S_POD_NAME", request.pod_name},
             {"K8S_POD_INFRA_CONTAINER_ID", request.sandbox_id},
             {"K8S_POD_UID", request.pod_uid}};
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : request.port_mappings) {
    if (p.host_port <= 0) continue;  // kubelet sends container-only ports too; CNI maps host ports
    nlohmann::json m = {{"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
    ports.push_back(std::move(m));
  }
  if (!ports.empty()) rt.capability_args["portMappings"] = std::move(ports);
  const DnsSettings& d = request.dns;
  if (!d.servers.empty() || !d.searches.empty() || !d.options.empty()) {
    rt.capability_args["dns"] = {{"servers", d.servers}, {"searches", d.searches}, {"options", d.options}};
  }
  // containerd's convention: the rate from the annotation, the largest
  // burst the bandwidth plugin accepts, so only the sustained rate is shaped.
  const Bandwidth& b = request.bandwidth;
  if (!b.empty()) {
    constexpr uint64_t kBurstBits = 0xffffffffULL;
    nlohmann::json bw = nlohmann::json::object();
    if (b.ingress_bps) bw["ingressRate"] = *b.ingress_bps, bw["ingressBurst"] = kBurstBits;
    if (b.egress_bps) bw["egressRate"] = *b.egress_bps, bw["egressBurst"] = kBurstBits;
    rt.capability_args["bandwidth"] = std::move(bw);
  }
  return rt;
}

absl::StatusOr<Attachment> CniPodNetwork::Attach(const AttachRequest& request) {
  SILO_ASSIGN_OR_RETURN(cni::NetworkConfigList net, cni::FindNetworkConfig(conf_dir_));
  cni::RuntimeConf rt = MakeRuntimeConf(request);
  absl::StatusOr<cni::Result> result = invoker_.Add(net, rt);
  if (!result.ok()) {
    // The spec asks runtimes to DEL after a failed ADD so plugins free what
    // they had set up.
    (void)invoker_.Del(net, rt);
    return Annotate(result.status(), absl::StrCat("CNI ADD for sandbox ", request.sandbox_id));
  }
  Attachment a;
  std::optional<std::string> v4 = cni::PrimaryIPv4(*result);
  std::optional<std::string> v6 = cni::PrimaryIPv6(*result);
  if (v4) a.ip = *v4;
  if (v6) (a.ip.empty() ? a.ip : a.additional_ips.emplace_back()) = *v6;
  return a;
}

absl::Status CniPodNetwork::Detach(const AttachRequest& request) {
  absl::StatusOr<cni::NetworkConfigList> net = cni::FindNetworkConfig(conf_dir_);
  if (!net.ok()) {
    return Annotate(net.status(), absl::StrCat("CNI DEL for sandbox ", request.sandbox_id));
  }
  return Annotate(invoker_.Del(*net, MakeRuntimeConf(request)),
                  absl::StrCat("CNI DEL for sandbox ", request.sandbox_id));
}

}  // namespace silo::network::netns
