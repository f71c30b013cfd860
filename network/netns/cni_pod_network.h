#pragma once
// PodNetwork over CNI plugins for pods in pinned namespaces: Attach is CNI ADD
// of the first network config in the conf dir (read at each call, so a config
// installed after start-up is picked up), Detach is CNI DEL.
//
// CNI_ARGS carry kubelet's K8S_POD_* values (with IgnoreUnknown=1); port
// mappings and DNS settings are passed as the "portMappings" and "dns"
// capability args. Results are cached by the Invoker under its cache dir, so
// DEL after a restart gets the ADD result as prevResult.
// Thread safety: as the Invoker (distinct sandboxes may run concurrently).

#include <memory>
#include <string>
#include <vector>

#include "network/cni/cni_network.h"
#include "network/cni/invoker.h"
#include "network/pod_network.h"

namespace silo::network::netns {

class CniPodNetwork final : public PodNetwork {
 public:
  CniPodNetwork(std::vector<std::string> bin_dirs, std::string conf_dir, std::string cache_dir);

  absl::Status Ready() const override { return readiness_.Ready(); }
  absl::StatusOr<Attachment> Attach(const AttachRequest& request) override;
  absl::Status Detach(const AttachRequest& request) override;

  // The CNI runtime config for a request (exposed for tests).
  static cni::RuntimeConf MakeRuntimeConf(const AttachRequest& request);

 private:
  cni::CniNetwork readiness_;
  std::string conf_dir_;
  cni::Invoker invoker_;
};

}  // namespace silo::network::netns
