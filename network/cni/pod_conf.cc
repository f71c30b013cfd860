#include "network/cni/pod_conf.h"

#include <cstdint>

namespace silo::network::cni {

RuntimeConf PodRuntimeConf(const AttachRequest& request) {
  RuntimeConf rt;
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

}  // namespace silo::network::cni
