#include "runtime/linux/container_spec.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "network/netns/pinned_namespaces.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/sysctls.h"
#include "runtime/linux/host_devices.h"
#include "runtime/linux/mount_propagation.h"
#include "runtime/linux/pod_init.h"
#include "runtime/linux/seccomp_default.h"

namespace silo::runtime::linux_backend {
namespace {

linux_backend::OciMount Bind(const std::string& destination, const std::string& source, bool readonly) {
  return linux_backend::OciMount{destination, "bind", source, {"rbind", "rprivate", readonly ? "ro" : "rw"}};
}

absl::Status BadResource(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("container resources: ", what));
}

// "2MB", "1GB", "64KB".
// The deprecated seccomp_profile_path, still sent by older kubelets.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const std::string& LegacySeccompPath(const ::runtime::v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
#pragma GCC diagnostic pop

bool ValidPageSize(const std::string& size) {
  if (size.size() < 3) return false;
  absl::string_view unit = absl::string_view(size).substr(size.size() - 2);
  if (unit != "KB" && unit != "MB" && unit != "GB") return false;
  for (size_t i = 0; i + 2 < size.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(size[i]))) return false;
  }
  return true;
}

// The bind option for a CRI volume's propagation, after checking (as
// containerd) that the host mount holding the source can propagate that way;
// the host's own propagation is never changed.
absl::StatusOr<std::string> VolumePropagation(const std::string& id, const ::runtime::v1::Mount& m, bool privileged) {
  switch (m.propagation()) {
    case ::runtime::v1::PROPAGATION_PRIVATE:
      return std::string("rprivate");
    case ::runtime::v1::PROPAGATION_HOST_TO_CONTAINER: {
      SILO_ASSIGN_OR_RETURN(linux_backend::MountPoint mp, linux_backend::LookupMountPoint(m.host_path()));
      if (!mp.shared && !mp.slave) {
        return absl::FailedPreconditionError(
            absl::StrCat("container ", id, ": volume ", m.host_path(), " wants host-to-container propagation, but it is ",
                         "on mount ", mp.path, ", which is neither shared nor slave"));
      }
      return std::string("rslave");
    }
    case ::runtime::v1::PROPAGATION_BIDIRECTIONAL: {
      if (!privileged) {
        return absl::InvalidArgumentError(absl::StrCat("container ", id, ": volume ", m.host_path(),
                                                       " wants bidirectional propagation, which only a privileged",
                                                       " container may have"));
      }
      SILO_ASSIGN_OR_RETURN(linux_backend::MountPoint mp, linux_backend::LookupMountPoint(m.host_path()));
      if (!mp.shared) {
        return absl::FailedPreconditionError(absl::StrCat("container ", id, ": volume ", m.host_path(),
                                                          " wants bidirectional propagation, but it is on mount ",
                                                          mp.path, ", which is not shared"));
      }
      return std::string("rshared");
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("container ", id, ": unknown mount propagation ", static_cast<int>(m.propagation())));
  }
}

}  // namespace

absl::StatusOr<linux_backend::OciResources> ResourcesFromCri(const ::runtime::v1::LinuxContainerResources& res) {
  linux_backend::OciResources out;
  if (res.cpu_period() != 0) {
    if (res.cpu_period() < 1000 || res.cpu_period() > 1000000) {
      return BadResource(absl::StrCat("cpu_period ", res.cpu_period(), " is outside 1000..1000000"));
    }
    out.cpu_period = static_cast<uint64_t>(res.cpu_period());
  }
  if (res.cpu_quota() != 0) {
    if (res.cpu_quota() != -1 && res.cpu_quota() < 1000) {
      return BadResource(absl::StrCat("cpu_quota ", res.cpu_quota(), " is below 1000 (and not -1)"));
    }
    out.cpu_quota = res.cpu_quota();
  }
  if (res.cpu_shares() != 0) {
    if (res.cpu_shares() < 2 || res.cpu_shares() > 262144) {
      return BadResource(absl::StrCat("cpu_shares ", res.cpu_shares(), " is outside 2..262144"));
    }
    out.cpu_shares = static_cast<uint64_t>(res.cpu_shares());
  }
  if (res.memory_limit_in_bytes() < 0) {
    return BadResource(absl::StrCat("memory_limit_in_bytes ", res.memory_limit_in_bytes(), " is negative"));
  }
  if (res.memory_limit_in_bytes() > 0) out.memory_limit_bytes = res.memory_limit_in_bytes();
  if (res.memory_swap_limit_in_bytes() != 0) {
    if (res.memory_swap_limit_in_bytes() != -1 &&
        (res.memory_swap_limit_in_bytes() < 0 || res.memory_swap_limit_in_bytes() < res.memory_limit_in_bytes())) {
      return BadResource(absl::StrCat("memory_swap_limit_in_bytes ", res.memory_swap_limit_in_bytes(),
                                      " is below the memory limit ", res.memory_limit_in_bytes()));
    }
    out.memory_swap_bytes = res.memory_swap_limit_in_bytes();
  }
  out.cpuset_cpus = res.cpuset_cpus();
  out.cpuset_mems = res.cpuset_mems();
  for (const auto& h : res.hugepage_limits()) {
    if (!ValidPageSize(h.page_size())) {
      return BadResource(absl::StrCat("hugepage size \"", h.page_size(), "\" is not like 2MB or 1GB"));
    }
    out.hugepage_limits[h.page_size()] = h.limit();
  }
  for (const auto& [key, value] : res.unified()) {
    if (key.empty() || absl::StrContains(key, "/") || absl::StrContains(key, "..")) {
      return BadResource(absl::StrCat("unified key \"", key, "\" is not a cgroup file name"));
    }
    out.unified[key] = value;
  }
  return out;
}

absl::Status ApplySeccomp(const ::runtime::v1::ContainerConfig& config, bool runtime_supports_seccomp,
                          linux_backend::OciSpecInput* in) {
  const auto& sc = config.linux().security_context();
  in->seccomp = nullptr;
  if (sc.privileged()) return absl::OkStatus();
  bool runtime_default = false;
  std::string localhost;
  if (sc.has_seccomp()) {
    switch (sc.seccomp().profile_type()) {
      case ::runtime::v1::SecurityProfile::RuntimeDefault:
        runtime_default = true;
        break;
      case ::runtime::v1::SecurityProfile::Localhost:
        localhost = sc.seccomp().localhost_ref();
        if (localhost.empty()) return absl::InvalidArgumentError("seccomp: Localhost profile without localhost_ref");
        break;
      default:
        break;
    }
  } else {
    const std::string& path = LegacySeccompPath(sc);
    if (path == "runtime/default" || path == "docker/default") {
      runtime_default = true;
    } else if (absl::StartsWith(path, "localhost/")) {
      localhost = path.substr(std::string("localhost/").size());
    } else if (!path.empty() && path != "unconfined") {
      return absl::InvalidArgumentError(absl::StrCat("seccomp: unknown profile \"", path, "\""));
    }
  }
  if (runtime_default) {
    if (runtime_supports_seccomp) {
      SILO_ASSIGN_OR_RETURN(std::vector<std::string> caps,
                            linux_backend::EffectiveCapabilities(in->process.cap_add, in->process.cap_drop));
      in->seccomp = linux_backend::DefaultSeccompProfileFor(caps);
    }
    return absl::OkStatus();
  }
  if (localhost.empty()) return absl::OkStatus();
  if (localhost[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("seccomp: Localhost profile \"", localhost, "\" is not absolute"));
  }
  if (!runtime_supports_seccomp) {
    return absl::FailedPreconditionError(
        absl::StrCat("seccomp: the OCI runtime has no seccomp support for profile ", localhost));
  }
  SILO_ASSIGN_OR_RETURN(in->seccomp, linux_backend::LoadSeccompProfile(localhost));
  return absl::OkStatus();
}

absl::StatusOr<linux_backend::OciSpecInput> BuildOciSpecInput(const CreateSpec& spec, const std::string& rootfs,
                                                             const std::string& netns_dir) {
  const auto& config = *spec.config;
  const auto& sandbox = *spec.sandbox;
  SILO_ASSIGN_OR_RETURN(::runtime::v1::PodSandboxConfig pod, sandbox.Config());
  const auto& ns_options = pod.linux().security_context().namespace_options();
  const auto& sc = config.linux().security_context();

  linux_backend::OciSpecInput in;
  in.rootfs = rootfs;
  in.readonly_rootfs = sc.readonly_rootfs();
  in.process.args = spec.args;
  in.process.env = spec.env;
  in.process.cwd = spec.cwd.empty() ? "/" : spec.cwd;
  in.process.terminal = config.tty();  // the shim passes runc a console socket to match
  in.process.user.uid = spec.user.uid;
  in.process.user.gid = spec.user.gid;
  in.process.user.additional_gids = spec.user.additional_gids;
  for (int64_t g : sc.supplemental_groups()) {
    if (g < 0) return absl::InvalidArgumentError(absl::StrCat("container ", spec.id, ": negative supplemental group"));
    auto& gids = in.process.user.additional_gids;
    if (std::find(gids.begin(), gids.end(), static_cast<uint32_t>(g)) == gids.end()) {
      gids.push_back(static_cast<uint32_t>(g));
    }
  }
  in.process.no_new_privileges = sc.no_new_privs();
  // proto3 cannot tell an empty list from an absent one: empty keeps the
  // runtime's defaults (privileged containers get none either way).
  in.masked_path_list.assign(sc.masked_paths().begin(), sc.masked_paths().end());
  in.readonly_path_list.assign(sc.readonly_paths().begin(), sc.readonly_paths().end());
  if (sc.privileged()) {
    // As containerd: a privileged container only in a privileged pod.
    if (!pod.linux().security_context().privileged()) {
      return absl::InvalidArgumentError(absl::StrCat("container ", spec.id, ": privileged container in sandbox ",
                                                     sandbox.id, ", which is not privileged"));
    }
    in.privileged = true;
    in.masked_paths = false;
    // Every capability the daemon itself has (containerd's rule), not every
    // one the kernel knows: runc cannot grant more than its bounding set.
    SILO_ASSIGN_OR_RETURN(in.process.cap_add, linux_backend::BoundingCapabilities());
    in.process.cap_drop = {"ALL"};
    SILO_ASSIGN_OR_RETURN(in.devices, linux_backend::ListHostDevices("/dev"));
  } else {
    for (const std::string& cap : sc.capabilities().add_capabilities()) {
      // "ALL" is every capability the daemon holds (containerd's rule): runc
      // cannot grant one outside its own bounding set.
      if (absl::AsciiStrToUpper(cap) != "ALL") {
        in.process.cap_add.push_back(cap);
        continue;
      }
      SILO_ASSIGN_OR_RETURN(std::vector<std::string> all, linux_backend::BoundingCapabilities());
      in.process.cap_add.insert(in.process.cap_add.end(), all.begin(), all.end());
    }
    in.process.cap_drop.assign(sc.capabilities().drop_capabilities().begin(),
                               sc.capabilities().drop_capabilities().end());
  }
  for (const auto& d : config.devices()) {
    absl::StatusOr<linux_backend::OciDevice> device =
        linux_backend::HostDevice(d.host_path(), d.container_path(), d.permissions());
    if (!device.ok()) return Annotate(device.status(), absl::StrCat("container ", spec.id));
    in.devices.push_back(*std::move(device));
  }
  if (config.linux().resources().oom_score_adj() != 0) {
    in.process.oom_score_adj = static_cast<int>(config.linux().resources().oom_score_adj());
  }

  // Namespaces: the pod's network, ipc and uts unless it uses the node's;
  // a fresh mount namespace per container; PID as the container asks (kubelet
  // sends the pod's mode in both; the pod's counts when the container's is
  // absent).
  in.namespaces = {{"mount", ""}};
  const auto& pid_options = sc.has_namespace_options() ? sc.namespace_options() : ns_options;
  switch (pid_options.pid()) {
    case ::runtime::v1::NODE:
      break;
    case ::runtime::v1::POD:
      if (ns_options.pid() != ::runtime::v1::POD) {
        return absl::InvalidArgumentError(absl::StrCat("container ", spec.id, ": PID namespace mode POD in sandbox ",
                                                       sandbox.id, ", which was not created with one"));
      }
      in.namespaces.push_back({"pid", linux_backend::PodPidNamespace(absl::StrCat(netns_dir, "/", sandbox.id))});
      break;
    case ::runtime::v1::TARGET:
      if (pid_options.target_id().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("container ", spec.id, ": PID namespace mode TARGET without a target_id"));
      }
      // The host resolves the target container's namespace (TargetPidNamespace).
      in.namespaces.push_back({"pid", ""});
      break;
    default:
      in.namespaces.push_back({"pid", ""});
      break;
  }
  network::netns::PinnedPaths pinned = network::netns::PathsFor(netns_dir, sandbox.id);
  bool host_network = ns_options.network() == ::runtime::v1::NODE;
  if (!host_network && !sandbox.netns_path.empty()) in.namespaces.push_back({"network", sandbox.netns_path});
  if (ns_options.ipc() != ::runtime::v1::NODE) in.namespaces.push_back({"ipc", pinned.ipc});
  if (!host_network) {
    in.namespaces.push_back({"uts", pinned.uts});
    in.hostname = sandbox.hostname;
  }
  if (!sandbox.cgroup_path.empty()) in.cgroups_path = absl::StrCat(sandbox.cgroup_path, "/", spec.id);

  auto resources = ResourcesFromCri(config.linux().resources());
  if (!resources.ok()) return Annotate(resources.status(), absl::StrCat("container ", spec.id));
  in.resources = std::move(*resources);
  auto sysctls = ValidatedSysctls(pod);
  if (!sysctls.ok()) return Annotate(sysctls.status(), absl::StrCat("container ", spec.id));
  in.sysctls = std::move(*sysctls);

  for (const char* name : {"hosts", "resolv.conf", "hostname"}) {
    std::string source = absl::StrCat(spec.sandbox_files_dir, "/", name);
    if (::access(source.c_str(), F_OK) == 0) in.mounts.push_back(Bind(absl::StrCat("/etc/", name), source, false));
  }
  // /dev/shm: the node's for a pod on the node's IPC namespace (as
  // containerd); the pod's shared tmpfs when the sandbox host provides one
  // at <files>/shm; else the container's own tmpfs (DefaultMounts).
  if (ns_options.ipc() == ::runtime::v1::NODE) {
    in.mounts.push_back(Bind("/dev/shm", "/dev/shm", false));
  } else if (std::string shm = absl::StrCat(spec.sandbox_files_dir, "/shm"); ::access(shm.c_str(), F_OK) == 0) {
    in.mounts.push_back(Bind("/dev/shm", shm, false));
  }
  for (const auto& m : config.mounts()) {
    if (m.container_path().empty() || m.host_path().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", spec.id, ": mount needs both host_path and container_path"));
    }
    SILO_ASSIGN_OR_RETURN(std::string propagation, VolumePropagation(spec.id, m, sc.privileged()));
    linux_backend::OciMount bind = Bind(m.container_path(), m.host_path(), m.readonly());
    bind.options[1] = propagation;
    in.mounts.push_back(std::move(bind));
    // The rootfs must pass mount events on too: rshared beats rslave.
    if (propagation == "rshared" || (propagation == "rslave" && in.rootfs_propagation.empty())) {
      in.rootfs_propagation = propagation;
    }
  }

  return in;
}

}  // namespace silo::runtime::linux_backend
