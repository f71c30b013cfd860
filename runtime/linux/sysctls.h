#pragma once
// The pod's sysctls (PodSandboxConfig.linux.sysctls), applied to each of its
// containers. Only namespaced sysctls are accepted, as kubelet's safe and
// unsafe lists allow: net.* (network namespace), kernel.shm*, kernel.msg*,
// kernel.sem and fs.mqueue.* (IPC namespace). A pod on the node's network
// may not set net.*, one on the node's IPC namespace not the IPC ones,
// since they would change the node. Pure; thread-safe.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "cri/api/cri.h"

namespace silo::runtime::linux_backend {

// The sysctls to put in the OCI spec ("net/ipv4/x" is accepted and written
// "net.ipv4.x"). InvalidArgument naming the first refused key.
absl::StatusOr<std::map<std::string, std::string>> ValidatedSysctls(const ::runtime::v1::PodSandboxConfig& pod);

}  // namespace silo::runtime::linux_backend
