// ContainerManager::UpdateResources (CRI UpdateContainerResources).
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/container_manager.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::container {
namespace {

// containerd's rule: a zero (or empty) field in the request keeps the
// current value; oom_score_adj cannot change after start and is kept.
::runtime::v1::LinuxContainerResources Merge(const ::runtime::v1::LinuxContainerResources& current,
                                             const ::runtime::v1::LinuxContainerResources& update) {
  ::runtime::v1::LinuxContainerResources out = current;
  if (update.cpu_period() != 0) out.set_cpu_period(update.cpu_period());
  if (update.cpu_quota() != 0) out.set_cpu_quota(update.cpu_quota());
  if (update.cpu_shares() != 0) out.set_cpu_shares(update.cpu_shares());
  if (update.memory_limit_in_bytes() != 0) out.set_memory_limit_in_bytes(update.memory_limit_in_bytes());
  if (update.memory_swap_limit_in_bytes() != 0) {
    out.set_memory_swap_limit_in_bytes(update.memory_swap_limit_in_bytes());
  }
  if (!update.cpuset_cpus().empty()) out.set_cpuset_cpus(update.cpuset_cpus());
  if (!update.cpuset_mems().empty()) out.set_cpuset_mems(update.cpuset_mems());
  if (update.hugepage_limits_size() > 0) *out.mutable_hugepage_limits() = update.hugepage_limits();
  if (!update.unified().empty()) *out.mutable_unified() = update.unified();
  return out;
}

::runtime::v1::WindowsContainerResources MergeWindows(const ::runtime::v1::WindowsContainerResources& current,
                                                     const ::runtime::v1::WindowsContainerResources& update) {
  ::runtime::v1::WindowsContainerResources out = current;
  if (update.cpu_count() != 0 || update.cpu_maximum() != 0 || update.cpu_shares() != 0) {
    out.set_cpu_count(update.cpu_count());
    out.set_cpu_maximum(update.cpu_maximum());
    out.set_cpu_shares(update.cpu_shares());
  }
  if (update.memory_limit_in_bytes() != 0) out.set_memory_limit_in_bytes(update.memory_limit_in_bytes());
  return out;
}

}  // namespace

absl::Status ContainerManager::UpdateWindowsResources(const std::string& id_or_prefix,
                                                      const ::runtime::v1::WindowsContainerResources& resources) {
  SILO_ASSIGN_OR_RETURN(Locked locked, Lock(id_or_prefix));
  SILO_ASSIGN_OR_RETURN(model::ContainerRecord record, Refresh(locked.record));
  const model::ContainerState state = record.State();
  if (state != model::ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("UpdateContainerResources ", record.id, ": container is ",
                                                      model::ContainerStateName(state), ", not RUNNING"));
  }
  SILO_ASSIGN_OR_RETURN(::runtime::v1::ContainerConfig config, record.Config());
  // Only the request goes to the host (zero = keep): resending the stored
  // set would resend creation-only fields such as rootfs_size_in_bytes.
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  SILO_RETURN_IF_ERROR(Annotate(host->UpdateWindowsResources(record.id, record.host_handle, resources),
                                absl::StrCat("UpdateContainerResources ", record.id)));
  *config.mutable_windows()->mutable_resources() = MergeWindows(config.windows().resources(), resources);
  return store_
      ->Update(record.id,
               [&](model::ContainerRecord& r) {
                 r.SetConfig(config);
                 return absl::OkStatus();
               })
      .status();
}

absl::Status ContainerManager::UpdateResources(const std::string& id_or_prefix,
                                               const ::runtime::v1::LinuxContainerResources& resources) {
  SILO_ASSIGN_OR_RETURN(Locked locked, Lock(id_or_prefix));
  SILO_ASSIGN_OR_RETURN(model::ContainerRecord record, Refresh(locked.record));
  const model::ContainerState state = record.State();
  if (state != model::ContainerState::kCreated && state != model::ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("UpdateContainerResources ", record.id, ": container is ",
                                                      model::ContainerStateName(state),
                                                      ", not CREATED or RUNNING"));
  }
  SILO_ASSIGN_OR_RETURN(::runtime::v1::ContainerConfig config, record.Config());
  ::runtime::v1::LinuxContainerResources merged = Merge(config.linux().resources(), resources);
  // The host validates and applies the whole set; only then is it stored,
  // so Status never echoes limits the container does not have. The runtime
  // writes one cgroup file after another, so a failure past validation may
  // have applied part of the set: the previous set is put back.
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  absl::Status applied = host->UpdateResources(record.id, record.host_handle, merged);
  if (!applied.ok()) {
    if (!absl::IsInvalidArgument(applied) && !absl::IsUnimplemented(applied)) {
      absl::Status restored = host->UpdateResources(record.id, record.host_handle, config.linux().resources());
      if (!restored.ok()) {
        spdlog::warn("container {}: restoring resources after a failed update: {}", record.id,
                     std::string(restored.message()));
      }
    }
    return Annotate(applied, absl::StrCat("UpdateContainerResources ", record.id));
  }
  *config.mutable_linux()->mutable_resources() = merged;
  return store_
      ->Update(record.id,
               [&](model::ContainerRecord& r) {
                 r.SetConfig(config);
                 return absl::OkStatus();
               })
      .status();
}

}  // namespace silo::runtime::container
