#include "network/netns/cni_pod_network.h"

#include "absl/strings/str_cat.h"
#include "network/cni/conf_loader.h"
#include "network/cni/pod_conf.h"
#include "network/cni/result.h"
#include "runtime/base/status_macros.h"

namespace silo::network::netns {

CniPodNetwork::CniPodNetwork(std::vector<std::string> bin_dirs, std::string conf_dir, std::string cache_dir)
    : readiness_(bin_dirs, conf_dir),
      conf_dir_(std::move(conf_dir)),
      invoker_(cni::InvokerOptions{std::move(bin_dirs), std::move(cache_dir)}, cni::NewPluginExec()) {}

cni::RuntimeConf CniPodNetwork::MakeRuntimeConf(const AttachRequest& request) {
  return cni::PodRuntimeConf(request);
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
  a.result_json = result->raw.dump();
  return a;
}

absl::Status CniPodNetwork::Detach(const AttachRequest& request) {
  const std::string what = absl::StrCat("CNI DEL for sandbox ", request.sandbox_id);
  const cni::RuntimeConf rt = MakeRuntimeConf(request);
  absl::StatusOr<cni::NetworkConfigList> net = cni::FindNetworkConfig(conf_dir_);
  if (absl::IsNotFound(net.status())) {
    // The config is gone (or never was: a node whose CNI is not ready yet).
    // DEL with the config its ADD used; with no ADD cached nothing was
    // attached, and refusing would leave a pod kubelet can never remove.
    net = invoker_.CachedConfig(rt);
    if (absl::IsNotFound(net.status())) return absl::OkStatus();
  }
  if (!net.ok()) return Annotate(net.status(), what);
  return Annotate(invoker_.Del(*net, rt), what);
}

}  // namespace silo::network::netns
