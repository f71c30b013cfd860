#include "runtime/linux/sysctls.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::linux_backend {

absl::StatusOr<std::map<std::string, std::string>> ValidatedSysctls(const ::runtime::v1::PodSandboxConfig& pod) {
  const auto& ns = pod.linux().security_context().namespace_options();
  const bool host_network = ns.network() == ::runtime::v1::NODE;
  const bool host_ipc = ns.ipc() == ::runtime::v1::NODE;
  std::map<std::string, std::string> out;
  for (const auto& [raw, value] : pod.linux().sysctls()) {
    std::string key = raw;
    std::replace(key.begin(), key.end(), '/', '.');
    if (key.empty() || absl::StrContains(key, "..") || key.front() == '.' || key.back() == '.') {
      return absl::InvalidArgumentError(absl::StrCat("sysctl \"", raw, "\" is not a valid name"));
    }
    const bool net = absl::StartsWith(key, "net.");
    const bool ipc = absl::StartsWith(key, "kernel.shm") || absl::StartsWith(key, "kernel.msg") ||
                     key == "kernel.sem" || absl::StartsWith(key, "fs.mqueue.");
    if (!net && !ipc) {
      return absl::InvalidArgumentError(
          absl::StrCat("sysctl \"", raw, "\" is not namespaced: only net.*, kernel.shm*, kernel.msg*, kernel.sem "
                       "and fs.mqueue.* may be set for a pod"));
    }
    if (net && host_network) {
      return absl::InvalidArgumentError(
          absl::StrCat("sysctl \"", raw, "\" is refused for a pod on the node's network namespace"));
    }
    if (ipc && host_ipc) {
      return absl::InvalidArgumentError(
          absl::StrCat("sysctl \"", raw, "\" is refused for a pod on the node's IPC namespace"));
    }
    out[key] = value;
  }
  return out;
}

}  // namespace silo::runtime::linux_backend
