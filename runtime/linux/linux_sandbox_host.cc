#include "runtime/linux/linux_sandbox_host.h"

#include <sys/mount.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "network/netns/pinned_namespaces.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/pod_init.h"

namespace silo::runtime::linux_backend {

absl::StatusOr<std::string> LinuxSandboxHost::CreateNamespaces(const std::string& id,
                                                               const NamespaceRequest& request) {
  SILO_FAILPOINT("sandbox.namespaces");
  if (!request.network && !request.ipc && !request.uts && !request.pid) return std::string();
  SILO_ASSIGN_OR_RETURN(network::netns::PinnedPaths paths,
                        network::netns::CreatePinned(netns_dir_, id,
                                                     {request.network, request.ipc, request.uts, request.hostname}));
  if (request.pid) {
    absl::Status s = linux_backend::StartPodInit(absl::StrCat(netns_dir_, "/", id));
    if (!s.ok()) {
      (void)network::netns::RemovePinned(netns_dir_, id);
      return s;
    }
  }
  return paths.net;
}

absl::Status LinuxSandboxHost::RemoveNamespaces(const std::string& id) {
  // The init first: the pinned directory goes only once it is empty.
  SILO_RETURN_IF_ERROR(linux_backend::StopPodInit(absl::StrCat(netns_dir_, "/", id)));
  return network::netns::RemovePinned(netns_dir_, id);
}

std::string LinuxSandboxHost::NetworkNamespaceFor(const std::string& id) const {
  return network::netns::PathsFor(netns_dir_, id).net;
}

bool LinuxSandboxHost::NetworkNamespaceExists(const std::string& handle) const {
  return network::netns::IsPinned(handle);
}

absl::StatusOr<std::vector<std::string>> LinuxSandboxHost::ListNamespaces() const {
  return network::netns::ListPinned(netns_dir_);
}

absl::Status LinuxSandboxHost::MountPodShm(const std::string& dir) {
  SILO_FAILPOINT("sandbox.shm");
  SILO_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") != 0) {
    return ErrnoToStatus(errno, absl::StrCat("mount the pod's /dev/shm at ", dir));
  }
  return absl::OkStatus();
}

absl::Status LinuxSandboxHost::UnmountPodShm(const std::string& dir) {
  // Detach: a container that still holds it keeps its view until it exits.
  if (::umount2(dir.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unmount the pod's /dev/shm at ", dir));
  }
  return absl::OkStatus();
}

}  // namespace silo::runtime::linux_backend
