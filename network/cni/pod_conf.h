#pragma once
// The CNI runtime config for a pod, shared by the Linux (pinned netns) and
// Windows (HCN namespace) pod networks: CNI_CONTAINERID = sandbox id,
// CNI_NETNS = the netns path or namespace GUID, IFNAME eth0, kubelet's
// K8S_POD_* args with IgnoreUnknown=1, and the capability args
// "portMappings" (host ports only), "dns" and "bandwidth".
//
// Pure; thread-safe.

#include "network/cni/invoker.h"
#include "network/pod_network.h"

namespace silo::network::cni {

RuntimeConf PodRuntimeConf(const AttachRequest& request);

}  // namespace silo::network::cni
