#include "runtime/container/container_spec.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "network/netns/pinned_namespaces.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::container {
namespace {

linux_backend::OciMount Bind(const std::string& destination, const std::string& source, bool readonly) {
  return linux_backend::OciMount{destination, "bind", source, {"rbind", "rprivate", readonly ? "ro" : "rw"}};
}

}  // namespace

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
  in.process.user.uid = spec.user.uid;
  in.process.user.gid = spec.user.gid;
  for (int64_t g : sc.supplemental_groups()) in.process.user.additional_gids.push_back(static_cast<uint32_t>(g));
  in.process.no_new_privileges = sc.no_new_privs();
  in.process.cap_add.assign(sc.capabilities().add_capabilities().begin(), sc.capabilities().add_capabilities().end());
  in.process.cap_drop.assign(sc.capabilities().drop_capabilities().begin(),
                             sc.capabilities().drop_capabilities().end());
  if (config.linux().resources().oom_score_adj() != 0) {
    in.process.oom_score_adj = static_cast<int>(config.linux().resources().oom_score_adj());
  }

  // Namespaces: the pod's network, ipc and uts unless it uses the node's;
  // a fresh pid and mount namespace per container.
  in.namespaces = {{"pid", ""}, {"mount", ""}};
  network::netns::PinnedPaths pinned = network::netns::PathsFor(netns_dir, sandbox.id);
  bool host_network = ns_options.network() == ::runtime::v1::NODE;
  if (!host_network && !sandbox.netns_path.empty()) in.namespaces.push_back({"network", sandbox.netns_path});
  if (ns_options.ipc() != ::runtime::v1::NODE) in.namespaces.push_back({"ipc", pinned.ipc});
  if (!host_network) {
    in.namespaces.push_back({"uts", pinned.uts});
    in.hostname = sandbox.hostname;
  }
  if (!sandbox.cgroup_path.empty()) in.cgroups_path = absl::StrCat(sandbox.cgroup_path, "/", spec.id);

  const auto& res = config.linux().resources();
  if (res.cpu_shares() > 0) in.resources.cpu_shares = static_cast<uint64_t>(res.cpu_shares());
  if (res.cpu_quota() > 0) in.resources.cpu_quota = res.cpu_quota();
  if (res.cpu_period() > 0) in.resources.cpu_period = static_cast<uint64_t>(res.cpu_period());
  if (res.memory_limit_in_bytes() > 0) in.resources.memory_limit_bytes = res.memory_limit_in_bytes();
  in.resources.cpuset_cpus = res.cpuset_cpus();
  in.resources.cpuset_mems = res.cpuset_mems();

  for (const char* name : {"hosts", "resolv.conf", "hostname"}) {
    std::string source = absl::StrCat(spec.sandbox_files_dir, "/", name);
    if (::access(source.c_str(), F_OK) == 0) in.mounts.push_back(Bind(absl::StrCat("/etc/", name), source, false));
  }
  for (const auto& m : config.mounts()) {
    if (m.container_path().empty() || m.host_path().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", spec.id, ": mount needs both host_path and container_path"));
    }
    in.mounts.push_back(Bind(m.container_path(), m.host_path(), m.readonly()));
  }

  return in;
}

}  // namespace silo::runtime::container
