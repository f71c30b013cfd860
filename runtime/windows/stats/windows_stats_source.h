#pragma once
// StatsSource on Windows, for process-isolated pods, as containerd and
// hcsshim read them:
//   container  the job object HCS makes for its silo, \Container_<id>
//              (hcsshim computes Argon statistics from it); opened by that
//              object-manager path, i.e. through NtOpenJobObject. In a
//              HostProcess pod the container's own job, silo-hpc-<id>,
//              a Win32 name opened through OpenJobObjectW
//   pod        the pause container's silo job plus every running container
//              (SandboxGroupHoldsContainers() is false): the pod's own Job
//              Object holds none of the containers' processes, so its
//              accounting stays near zero. A pod without a pause container
//              (HostProcess) totals its containers only, as in containerd.
//   network    HNS statistics of every endpoint in the pod's HCN namespace
//              (HNSCall GET /endpointstats/<id>); name = endpoint id; HNS
//              reports bytes and drops, no error counts
// Reading a job is injected (read_job): on Windows it opens the job with
// jobobject::JobObject::Open and converts its accounting with FromJobObject
// (windows_stats.h); Linux tests pass recorded counters.
//
// Thread safety: as StatsSource requires, given thread-safe injected functions.

#include <functional>
#include <string>
#include <vector>

#include "network/hns/api.h"
#include "runtime/stats/stats_source.h"

namespace silo::runtime::windows {

// The stats port's names, as this source implements it.
using stats::FsUsage;
using stats::GroupCounters;
using stats::InterfaceCounters;
using stats::StatsSource;

// The SandboxRecord::platform_data key under which the Windows sandbox host
// records the pause container's compute-system id.
inline constexpr char kPauseSystemIdKey[] = "pause_id";

struct WindowsStatsSourceOptions {
  // Counters of the job object named `job_name`: an object-manager path
  // ("\..."), else a Win32 name; NotFound when it is gone. Required.
  std::function<absl::StatusOr<GroupCounters>(const std::string& job_name)> read_job;
  // HCN/HNS table for pod network statistics; null = no network statistics.
  const network::hns::HcnApi* hcn = nullptr;
  // Usage of a container's writable layer (its scratch); unset = Unimplemented.
  std::function<absl::StatusOr<FsUsage>(const std::string& container_id)> read_writable_layer;
};

class WindowsStatsSource final : public StatsSource {
 public:
  explicit WindowsStatsSource(WindowsStatsSourceOptions options) : options_(std::move(options)) {}

  stats::StatsFormat Format() const override { return stats::StatsFormat::kWindows; }

  // "\Container_<id>"; "silo-hpc-<id>" in a HostProcess pod (its
  // handler type is "hostprocess" or its config sets
  // windows.security_context.host_process).
  std::string ContainerGroup(const model::SandboxRecord& sandbox, const std::string& container_id) const override;
  // The pause container's silo job; empty without a recorded pause container.
  std::string SandboxGroup(const model::SandboxRecord& sandbox) const override;
  bool SandboxGroupHoldsContainers() const override { return false; }
  absl::StatusOr<GroupCounters> ReadGroup(const std::string& group) override;
  // `netns` is the HCN namespace GUID. Endpoints whose statistics cannot be
  // read are left out (logged at debug), as containerd does.
  absl::StatusOr<std::vector<InterfaceCounters>> ReadNetwork(const std::string& netns) override;
  absl::StatusOr<FsUsage> ReadWritableLayer(const std::string& container_id) override;

 private:
  const WindowsStatsSourceOptions options_;
};

}  // namespace silo::runtime::windows
